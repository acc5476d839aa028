// Deliberately failing ktests for harness_e2e_test: one test of each outcome
// the harness must report (pass, EXPECT failure, panic, hang), in run order.
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

TEST(E2e, DHangs) {
  // Busy forever without output; the harness's inactivity timeout ends it.
  while (ostd::timer::Ticks() != ~uint64_t{0}) {
    ostd::timer::SpinDelayNanos(1'000'000);
  }
}

TEST(E2e, EPassesAfterResume) { EXPECT_TRUE(true); }

}  // namespace
