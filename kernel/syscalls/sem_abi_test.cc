#include "kernel/syscalls/sem_abi.h"

#include <array>

#include "gtest/gtest.h"

namespace kernel::sem_abi {
namespace {

using ostd::Errno;

TEST(SemApply, AppliesAllOrNothing) {
  std::array<uint16_t, 3> vals = {1, 0, 5};
  std::array<SemBuf, 2> ok = {{{0, -1, 0}, {2, 3, 0}}};
  SemAttempt a = SemApply(vals, ok).value();
  EXPECT_TRUE(a.applied);
  EXPECT_EQ(vals[0], 0);
  EXPECT_EQ(vals[2], 8);
  // The second operation must wait: the first one is undone.
  std::array<SemBuf, 2> blocks = {{{2, -8, 0}, {0, -1, 0}}};
  a = SemApply(vals, blocks).value();
  EXPECT_FALSE(a.applied);
  EXPECT_EQ(a.blocked_at, 1u);
  EXPECT_FALSE(a.waits_for_zero);
  EXPECT_EQ(vals[2], 8);
}

TEST(SemApply, WaitForZero) {
  std::array<uint16_t, 1> vals = {1};
  std::array<SemBuf, 1> zero = {{{0, 0, 0}}};
  SemAttempt a = SemApply(vals, zero).value();
  EXPECT_FALSE(a.applied);
  EXPECT_TRUE(a.waits_for_zero);
  // Decrement then test for zero in one call sees its own decrement.
  std::array<SemBuf, 2> both = {{{0, -1, 0}, {0, 0, 0}}};
  EXPECT_TRUE(SemApply(vals, both).value().applied);
  EXPECT_EQ(vals[0], 0);
}

TEST(SemApply, Errors) {
  std::array<uint16_t, 2> vals = {kSemVmx, 0};
  std::array<SemBuf, 1> past = {{{2, 1, 0}}};
  EXPECT_EQ(SemApply(vals, past).error(), Errno::kEFBIG);
  std::array<SemBuf, 2> range = {{{1, 1, 0}, {0, 1, 0}}};
  EXPECT_EQ(SemApply(vals, range).error(), Errno::kERANGE);
  EXPECT_EQ(vals[1], 0);  // undone
}

}  // namespace
}  // namespace kernel::sem_abi
