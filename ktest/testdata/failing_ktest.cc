// Deliberately failing ktests for harness_e2e_test: one test of each outcome (a libstdc++ assertion
// is a panic) the harness must report (pass, EXPECT failure, panic, hang, skip), in run order.
#include <array>
#include <cstdint>

#include "ktest/ktest.h"
#include "ostd/panic.h"
#include "ostd/timer.h"

namespace {

TEST(E2e, APasses) { EXPECT_EQ(1 + 1, 2); }

TEST(E2e, BFailsExpectation) {
  int got = 3;
  EXPECT_EQ(got, 4) << "deliberate";
}

TEST(E2e, CPanics) { OSTD_PANIC("deliberate panic in {}", "E2e.CPanics"); }

// -D_GLIBCXX_ASSERTIONS: an out-of-range std::array index panics (naming the
// file and line) instead of writing past the array.
TEST(E2e, CcIndexOutOfRangePanics) {
  std::array<uint64_t, 4> a{};
  a[ostd::timer::Ticks() | 4] = 1;  // at least 4: out of range
  EXPECT_EQ(a[0], 0u);
}

TEST(E2e, DHangs) {
  // Busy forever without output; the harness's inactivity timeout ends it.
  while (ostd::timer::Ticks() != ~uint64_t{0}) {
    ostd::timer::SpinDelayNanos(1'000'000);
  }
}

TEST(E2e, EPassesAfterResume) { EXPECT_TRUE(true); }

TEST(E2e, FSkips) {
  KTEST_SKIP("deliberately skipped");
  ADD_FAILURE() << "KTEST_SKIP did not return";
}

TEST(E2e, GFailsThenSkips) {
  ADD_FAILURE() << "deliberate failure before a skip";
  KTEST_SKIP("a failure wins over a skip");
}

}  // namespace
