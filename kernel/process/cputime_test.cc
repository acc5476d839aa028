#include "kernel/process/cputime.h"

#include <gtest/gtest.h>

namespace kernel {
namespace {

TEST(CpuSplit, DividesInTheRatioOfTicks) {
  CpuSplit s = AdjustCpuSplit(1000, 3, 1, {});
  EXPECT_EQ(s.user_ns, 750u);
  EXPECT_EQ(s.sys_ns, 250u);
}

TEST(CpuSplit, NoTicksIsAllUserTimeAsOnLinux) {
  CpuSplit s = AdjustCpuSplit(1000, 0, 0, {});
  EXPECT_EQ(s.user_ns, 1000u);
  EXPECT_EQ(s.sys_ns, 0u);
}

TEST(CpuSplit, OnlySystemTicks) {
  CpuSplit s = AdjustCpuSplit(1000, 0, 5, {});
  EXPECT_EQ(s.user_ns, 0u);
  EXPECT_EQ(s.sys_ns, 1000u);
}

TEST(CpuSplit, NeitherPartEverShrinks) {
  // First all user; then system ticks arrive: the system part may only take
  // the growth of the total, never what was already reported as user time.
  CpuSplit a = AdjustCpuSplit(1000, 0, 0, {});
  CpuSplit b = AdjustCpuSplit(1200, 1, 1, a);
  EXPECT_EQ(b.user_ns, 1000u);
  EXPECT_EQ(b.sys_ns, 200u);
  EXPECT_GE(b.user_ns, a.user_ns);
  EXPECT_GE(b.sys_ns, a.sys_ns);
  // The ratio turns to user time: the system part stays where it was.
  CpuSplit c = AdjustCpuSplit(2000, 99, 1, b);
  EXPECT_EQ(c.sys_ns, 200u);
  EXPECT_EQ(c.user_ns, 1800u);
}

TEST(CpuSplit, NoGrowthReturnsThePreviousSplit) {
  CpuSplit prev{.user_ns = 600, .sys_ns = 400};
  CpuSplit s = AdjustCpuSplit(900, 1, 1, prev);  // the total read low (a slice missed)
  EXPECT_EQ(s.user_ns, 600u);
  EXPECT_EQ(s.sys_ns, 400u);
}

TEST(CpuSplit, LargeValuesDoNotOverflow) {
  uint64_t total = uint64_t{1} << 62;
  CpuSplit s = AdjustCpuSplit(total, uint64_t{1} << 40, uint64_t{1} << 40, {});
  EXPECT_EQ(s.sys_ns, total / 2);
  EXPECT_EQ(s.user_ns, total / 2);
  // Exact where a 64-bit product would overflow: total * 3 / 4.
  CpuSplit t = AdjustCpuSplit(~uint64_t{0}, 1, 3, {});
  EXPECT_EQ(t.sys_ns, ~uint64_t{0} / 4 * 3 + (~uint64_t{0} % 4) * 3 / 4);
  EXPECT_EQ(t.user_ns + t.sys_ns, ~uint64_t{0});
}

}  // namespace
}  // namespace kernel
