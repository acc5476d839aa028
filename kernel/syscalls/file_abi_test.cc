#include "kernel/syscalls/file_abi.h"

#include <array>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace kernel::file_abi {
namespace {

using ostd::Errno;

TEST(CheckIovecs, SumsAndClampsAtMaxRwCount) {
  std::array<IoVec, 3> iov{{{0x1000, 0x40000000}, {0x1000, 0x40000000}, {0x1000, 10}}};
  ostd::Result<uint64_t> total = CheckIovecs(iov);
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(*total, kMaxRwCount);
  EXPECT_EQ(iov[0].len, 0x40000000u);
  EXPECT_EQ(iov[1].len, kMaxRwCount - 0x40000000u);
  EXPECT_EQ(iov[2].len, 0u);
}

TEST(CheckIovecs, EmptyAndZeroLengths) {
  std::array<IoVec, 2> iov{{{0, 0}, {0x2000, 0}}};
  ostd::Result<uint64_t> total = CheckIovecs(iov);
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(*total, 0u);
  EXPECT_EQ(*CheckIovecs(std::span<IoVec>()), 0u);
}

TEST(CheckIovecs, NegativeLengthIsEinvalBeforeBadAddress) {
  // The first segment leaves user space, the second has a negative length:
  // Linux rejects negative lengths while copying the array, so EINVAL wins.
  std::array<IoVec, 2> iov{{{0xffff800000000000, 16}, {0x1000, uint64_t{1} << 63}}};
  EXPECT_EQ(CheckIovecs(iov).error(), Errno::kEINVAL);
}

TEST(CheckIovecs, SegmentOutsideUserSpaceIsEfault) {
  std::array<IoVec, 1> iov{{{0x00007ffffffff000, 0x2000}}};
  EXPECT_EQ(CheckIovecs(iov).error(), Errno::kEFAULT);
  std::array<IoVec, 1> kernel{{{0xffffffff80000000, 1}}};
  EXPECT_EQ(CheckIovecs(kernel).error(), Errno::kEFAULT);
}

TEST(CheckPosition, RejectsNegativeAndWrapping) {
  EXPECT_TRUE(CheckPosition(0, 100).has_value());
  EXPECT_EQ(CheckPosition(-1, 0).error(), Errno::kEINVAL);
  int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_TRUE(CheckPosition(max - 10, 10).has_value());
  EXPECT_EQ(CheckPosition(max - 10, 11).error(), Errno::kEINVAL);
}

TEST(Fcntl, PathDescriptorCommands) {
  EXPECT_TRUE(FcntlAllowedOnPath(kFDupfd));
  EXPECT_TRUE(FcntlAllowedOnPath(kFDupfdCloexec));
  EXPECT_TRUE(FcntlAllowedOnPath(kFGetfd));
  EXPECT_TRUE(FcntlAllowedOnPath(kFSetfd));
  EXPECT_TRUE(FcntlAllowedOnPath(kFGetfl));
  EXPECT_FALSE(FcntlAllowedOnPath(kFSetfl));
  EXPECT_FALSE(FcntlAllowedOnPath(kFGetlk));
  EXPECT_FALSE(FcntlAllowedOnPath(kFGetpipeSz));
}

TEST(Fcntl, SetflChangesOnlyTheChangeableBits) {
  constexpr uint32_t kRdwr = 02, kAppend = 02000, kNonblock = 04000, kLargefile = 0100000,
                     kCreat = 0100;
  uint32_t old = kRdwr | kLargefile;
  EXPECT_EQ(SetflFlags(old, kAppend | kNonblock | kCreat | 01),
            kRdwr | kLargefile | kAppend | kNonblock);
  EXPECT_EQ(SetflFlags(kRdwr | kAppend, 0), kRdwr);
}

TEST(Fcntl, FlockValidation) {
  Flock l{};
  l.l_type = kFWrlck;
  EXPECT_TRUE(CheckFlock(l, false).has_value());
  l.l_pid = 5;
  EXPECT_TRUE(CheckFlock(l, false).has_value());
  EXPECT_EQ(CheckFlock(l, true).error(), Errno::kEINVAL);
  l.l_pid = 0;
  l.l_type = 7;
  EXPECT_EQ(CheckFlock(l, false).error(), Errno::kEINVAL);
  l.l_type = kFRdlck;
  l.l_whence = 3;
  EXPECT_EQ(CheckFlock(l, false).error(), Errno::kEINVAL);
}

TEST(Fcntl, PipeSize) {
  constexpr uint64_t kCap = 65536;
  EXPECT_EQ(*PipeSizeFor(0, kCap, false), kCap);
  EXPECT_EQ(*PipeSizeFor(1, kCap, false), kCap);
  EXPECT_EQ(*PipeSizeFor(65536, kCap, false), kCap);
  EXPECT_EQ(PipeSizeFor(65537, kCap, false).error(), Errno::kENOMEM);
  EXPECT_EQ(PipeSizeFor((1 << 20) + 1, kCap, false).error(), Errno::kEPERM);
  EXPECT_EQ(PipeSizeFor((1 << 20) + 1, kCap, true).error(), Errno::kENOMEM);
  EXPECT_EQ(PipeSizeFor((uint64_t{1} << 31) + 1, kCap, true).error(), Errno::kEINVAL);
}

TEST(Poll, ReventsAlwaysIncludeErrAndHup) {
  constexpr uint16_t kIn = 0x1, kOut = 0x4, kErr = 0x8, kHup = 0x10;
  EXPECT_EQ(PollRevents(kIn | kOut, kIn), kIn);
  EXPECT_EQ(PollRevents(kIn | kOut, 0), 0);
  EXPECT_EQ(PollRevents(kErr | kHup, 0), kErr | kHup);
  EXPECT_EQ(PollRevents(kOut | kErr, kIn), kErr);
}

TEST(Select, EventSets) {
  SelectHits hup = SelectEvents(0x10);
  EXPECT_TRUE(hup.in);
  EXPECT_FALSE(hup.out);
  SelectHits err = SelectEvents(0x08);
  EXPECT_TRUE(err.in);
  EXPECT_TRUE(err.out);
  EXPECT_FALSE(err.ex);
  SelectHits pri = SelectEvents(0x02);
  EXPECT_FALSE(pri.in);
  EXPECT_TRUE(pri.ex);
  SelectHits out = SelectEvents(0x104);
  EXPECT_TRUE(out.out);
  EXPECT_FALSE(out.in);
}

TEST(Timeouts, PollAndTimespec) {
  EXPECT_FALSE(PollTimeoutNs(-1).has_value());
  EXPECT_EQ(*PollTimeoutNs(0), 0u);
  EXPECT_EQ(*PollTimeoutNs(1500), 1'500'000'000u);
  EXPECT_EQ(*TimespecNs(1, 5), 1'000'000'005u);
  EXPECT_EQ(TimespecNs(-1, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(TimespecNs(0, 1'000'000'000).error(), Errno::kEINVAL);
  EXPECT_EQ(TimespecNs(0, -1).error(), Errno::kEINVAL);
  EXPECT_EQ(*TimespecNs(std::numeric_limits<int64_t>::max(), 999'999'999),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*TimevalNs(2, 3), 2'000'003'000u);
  EXPECT_EQ(TimevalNs(0, 1'000'000).error(), Errno::kEINVAL);
  EXPECT_EQ(DeadlineAfter(std::numeric_limits<uint64_t>::max() - 1, 5),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(DeadlineAfter(10, 5), 15u);
}

TEST(Chown, Rules) {
  constexpr uint32_t kKeep = std::numeric_limits<uint32_t>::max();
  Owner file{1000, 1000};
  // Root may do anything.
  EXPECT_EQ(ChownResult(file, 0, 0, 0, true, true)->uid, 0u);
  // The owner may change the group to its own group, or keep both.
  ostd::Result<Owner> r = ChownResult(file, kKeep, 1000, 1000, true, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->gid, 1000u);
  EXPECT_TRUE(ChownResult(file, 1000, kKeep, 1000, false, false).has_value());
  EXPECT_EQ(ChownResult(file, kKeep, 5, 1000, true, false)->gid, 5u);
  // But not give the file away or pick a foreign group.
  EXPECT_EQ(ChownResult(file, 1001, kKeep, 1000, false, false).error(), Errno::kEPERM);
  EXPECT_EQ(ChownResult(file, kKeep, 7, 1000, false, false).error(), Errno::kEPERM);
  // A stranger may change nothing, but -1/-1 is a no-op.
  EXPECT_EQ(ChownResult(file, kKeep, 1000, 1001, true, false).error(), Errno::kEPERM);
  EXPECT_TRUE(ChownResult(file, kKeep, kKeep, 1001, false, false).has_value());
}

TEST(Chown, ClearsSetIdBits) {
  EXPECT_EQ(ModeAfterChown(0104755), 0100755u);
  EXPECT_EQ(ModeAfterChown(0102755), 0100755u);  // setgid + group exec
  EXPECT_EQ(ModeAfterChown(0102745), 0102745u);  // setgid without group exec: mandatory locking
  EXPECT_EQ(ModeAfterChown(0046755), 0046755u);  // directories keep them
}

TEST(Chmod, DropsSetgidOutsideGroup) {
  EXPECT_EQ(ChmodPerm(02755, false, false), 0755u);
  EXPECT_EQ(ChmodPerm(02755, false, true), 02755u);
  EXPECT_EQ(ChmodPerm(02755, true, false), 02755u);
  EXPECT_EQ(ChmodPerm(0170777, true, true), 07777u & 0170777u);
}

TEST(Utime, Nsec) {
  EXPECT_TRUE(ValidUtimeNsec(0));
  EXPECT_TRUE(ValidUtimeNsec(999'999'999));
  EXPECT_TRUE(ValidUtimeNsec(kUtimeNow));
  EXPECT_TRUE(ValidUtimeNsec(kUtimeOmit));
  EXPECT_FALSE(ValidUtimeNsec(1'000'000'000));
  EXPECT_FALSE(ValidUtimeNsec(-1));
}

}  // namespace
}  // namespace kernel::file_abi
