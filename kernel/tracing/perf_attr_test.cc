#include "kernel/tracing/perf_attr.h"

#include <gtest/gtest.h>

namespace kernel::tracing::perf {
namespace {

using ostd::Errno;

PerfEventAttr Attr() {
  PerfEventAttr a{};
  a.type = 6;
  a.size = kAttrSize;
  return a;
}

TEST(PerfAttrTest, CopySize) {
  EXPECT_EQ(*AttrCopySize(0), kAttrSizeVer0);
  EXPECT_EQ(*AttrCopySize(64), 64u);
  EXPECT_EQ(*AttrCopySize(72), 72u);
  EXPECT_EQ(*AttrCopySize(200), 200u);  // the rest must be zero: the caller checks
  EXPECT_EQ(*AttrCopySize(4096), 4096u);
  EXPECT_EQ(AttrCopySize(1).error(), Errno::kE2BIG);
  EXPECT_EQ(AttrCopySize(63).error(), Errno::kE2BIG);
  EXPECT_EQ(AttrCopySize(4097).error(), Errno::kE2BIG);
}

TEST(PerfAttrTest, Checks) {
  EXPECT_TRUE(CheckAttr(Attr()).has_value());
  PerfEventAttr a = Attr();
  a.flags = kFlagReserved1 & (kFlagReserved1 << 1);
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a = Attr();
  a.reserved_2 = 1;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a = Attr();
  a.reserved_3 = 1;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a = Attr();
  a.sample_type = kSampleMax;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.sample_type = kSampleMax - 1 - kSampleWeight - kSampleStackUser;
  EXPECT_TRUE(CheckAttr(a).has_value());
  a = Attr();
  a.read_format = kFormatMax;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.read_format = kFormatMax - 1;
  EXPECT_TRUE(CheckAttr(a).has_value());
  a = Attr();
  a.sample_type = kSampleStackUser;
  a.sample_stack_user = 12;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.sample_stack_user = 0xfff8;
  EXPECT_TRUE(CheckAttr(a).has_value());
  a.sample_stack_user = 0x10000;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a = Attr();
  a.sample_type = kSampleWeight | kSampleWeightStruct;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a = Attr();
  a.flags = kFlagInheritThread;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.flags = kFlagInheritThread | kFlagInherit;
  EXPECT_TRUE(CheckAttr(a).has_value());
  a.flags = kFlagRemoveOnExec | kFlagEnableOnExec;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.flags = kFlagSigtrap;
  EXPECT_EQ(CheckAttr(a).error(), Errno::kEINVAL);
  a.flags = kFlagSigtrap | kFlagRemoveOnExec;
  EXPECT_TRUE(CheckAttr(a).has_value());
}

TEST(PerfAttrTest, OpenArgs) {
  EXPECT_TRUE(CheckOpenFlags(kFlagAll).has_value());
  EXPECT_EQ(CheckOpenFlags(16).error(), Errno::kEINVAL);

  PerfEventAttr a = Attr();
  EXPECT_TRUE(CheckSampleArgs(a, -1, 0, 0).has_value());
  a.sample_period = 1ull << 63;
  EXPECT_EQ(CheckSampleArgs(a, -1, 0, 0).error(), Errno::kEINVAL);
  a.flags = kFlagFreq;
  a.sample_period = 1000;
  EXPECT_TRUE(CheckSampleArgs(a, -1, 0, 0).has_value());
  a.sample_period = 1000000;
  EXPECT_EQ(CheckSampleArgs(a, -1, 0, 0).error(), Errno::kEINVAL);
  a = Attr();
  EXPECT_EQ(CheckSampleArgs(a, -1, 0, kFlagPidCgroup).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckSampleArgs(a, 3, -1, kFlagPidCgroup).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckSampleArgs(a, 3, 0, kFlagPidCgroup).has_value());

  // pid -1 needs a CPU; a task may take cpu -1; no CPU past the last.
  EXPECT_EQ(CheckCpu(a, false, -1, 2).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckCpu(a, true, -1, 2).has_value());
  EXPECT_TRUE(CheckCpu(a, false, 1, 2).has_value());
  EXPECT_TRUE(CheckCpu(a, true, 0, 2).has_value());
  EXPECT_EQ(CheckCpu(a, false, 2, 2).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckCpu(a, true, 2, 2).error(), Errno::kEINVAL);
  EXPECT_EQ(CheckCpu(a, true, -2, 2).error(), Errno::kEINVAL);
  a.flags = kFlagSigtrap | kFlagRemoveOnExec;
  EXPECT_EQ(CheckCpu(a, false, 0, 2).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckCpu(a, true, -1, 2).has_value());
}

TEST(PerfAttrTest, ReadLayout) {
  ReadValues v{.count = 7, .time_enabled = 100, .time_running = 90, .id = 42, .lost = 3};
  std::array<uint64_t, kMaxReadWords> w{};
  EXPECT_EQ(ReadSize(0), 8u);
  ASSERT_EQ(FormatRead(0, v, w), 1u);
  EXPECT_EQ(w[0], 7u);

  uint64_t all = kFormatTotalTimeEnabled | kFormatTotalTimeRunning | kFormatId | kFormatLost;
  EXPECT_EQ(ReadSize(all), 40u);
  ASSERT_EQ(FormatRead(all, v, w), 5u);
  EXPECT_EQ(w[0], 7u);
  EXPECT_EQ(w[1], 100u);
  EXPECT_EQ(w[2], 90u);
  EXPECT_EQ(w[3], 42u);
  EXPECT_EQ(w[4], 3u);

  ASSERT_EQ(FormatRead(kFormatTotalTimeRunning | kFormatId, v, w), 3u);
  EXPECT_EQ(w[1], 90u);
  EXPECT_EQ(w[2], 42u);

  // A group of one: nr, the times, then value and id.
  EXPECT_EQ(ReadSize(all | kFormatGroup), 48u);
  ASSERT_EQ(FormatRead(all | kFormatGroup, v, w), 6u);
  EXPECT_EQ(w[0], 1u);
  EXPECT_EQ(w[1], 100u);
  EXPECT_EQ(w[2], 90u);
  EXPECT_EQ(w[3], 7u);
  EXPECT_EQ(w[4], 42u);
  EXPECT_EQ(w[5], 3u);
}

}  // namespace
}  // namespace kernel::tracing::perf
