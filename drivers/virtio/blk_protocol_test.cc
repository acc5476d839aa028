#include "drivers/virtio/blk_protocol.h"

#include <gtest/gtest.h>

namespace drivers::virtio {
namespace {

using ostd::Errno;

TEST(BlkProtocolTest, StatusBytes) {
  EXPECT_TRUE(BlkStatusToResult(kBlkStatusOk).has_value());
  EXPECT_EQ(BlkStatusToResult(kBlkStatusIoErr).error(), Errno::kEIO);
  EXPECT_EQ(BlkStatusToResult(kBlkStatusUnsupp).error(), Errno::kEOPNOTSUPP);
  // Undefined values from a misbehaving device, and the 0xff the driver
  // leaves when the device never wrote the byte.
  EXPECT_EQ(BlkStatusToResult(3).error(), Errno::kEIO);
  EXPECT_EQ(BlkStatusToResult(0xff).error(), Errno::kEIO);
}

TEST(BlkProtocolTest, Ranges) {
  EXPECT_TRUE(CheckBlkRange(0, 512, 1).has_value());
  EXPECT_TRUE(CheckBlkRange(7, 1024, 9).has_value());
  EXPECT_EQ(CheckBlkRange(8, 1024, 9).error(), Errno::kEINVAL);  // past the end
  EXPECT_EQ(CheckBlkRange(0, 0, 9).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckBlkRange(0, 511, 9).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckBlkRange(10, 512, 9).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckBlkRange(~uint64_t{0}, 1024, ~uint64_t{0}).error(), Errno::kEINVAL);  // wraps
  EXPECT_EQ(CheckBlkRange(1, 512, 0).error(), Errno::kEINVAL);
}

TEST(BlkProtocolTest, WrittenLengths) {
  EXPECT_TRUE(CheckBlkWritten(513, 512).has_value());
  EXPECT_TRUE(CheckBlkWritten(1, 0).has_value());             // write or flush: the status byte
  EXPECT_EQ(CheckBlkWritten(512, 512).error(), Errno::kEIO);  // short read
  EXPECT_EQ(CheckBlkWritten(0, 0).error(), Errno::kEIO);      // status never written
  EXPECT_EQ(CheckBlkWritten(0xffffffff, 0xffffffff).error(), Errno::kEIO);
}

TEST(BlkProtocolTest, HeaderLayout) {
  static_assert(sizeof(BlkHeader) == 16);
  static_assert(ostd::Pod<BlkHeader>);
}

}  // namespace
}  // namespace drivers::virtio
