// ktests: the lockup watchdog (ostd/watchdog.h) reports a CPU stuck in
// kernel mode with preemption off (soft lockup, seen by its own timer tick)
// and a CPU with interrupts off (hard lockup, seen by another CPU's tick), and
// stays quiet for a task that makes progress. The threshold is lowered to
// 1 s for the tests.
#include <cstdint>

#include "ktest/ktest.h"
#include "ostd/sync.h"
#include "ostd/task/preempt.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/watchdog.h"

namespace ostd {
namespace {

constexpr uint64_t kSpinNs = 1'700'000'000;  // past the 1 s threshold

void SpinFor(uint64_t ns) {
  uint64_t end = timer::NowNanos() + ns;
  while (timer::NowNanos() < end) {
  }
}

// Restores the default threshold when a test ends.
struct Threshold {
  explicit Threshold(uint32_t s) : saved(watchdog::ThresholdSeconds()) {
    watchdog::SetThresholdSeconds(s);
  }
  ~Threshold() { watchdog::SetThresholdSeconds(saved); }
  uint32_t saved;
};

TEST(WatchdogTest, DefaultThresholdIsLinuxs) { EXPECT_EQ(watchdog::ThresholdSeconds(), 20u); }

TEST(WatchdogTest, ReportsSoftLockup) {
  Threshold t(1);
  uint64_t before = watchdog::SoftLockups();
  {
    PreemptGuard no_preempt;  // stuck in the kernel, interrupts still on
    SpinFor(kSpinNs);
  }
  EXPECT_EQ(watchdog::SoftLockups(), before + 1);  // once per episode
}

TEST(WatchdogTest, ReportsHardLockupFromAnotherCpu) {
  Threshold t(1);
  uint64_t before = watchdog::HardLockups();
  {
    IrqGuard irqs_off;  // no timer interrupt here: another CPU must notice
    SpinFor(kSpinNs);
  }
  SleepFor(50'000'000);  // the report lands on the other CPU's next tick at the latest
  EXPECT_EQ(watchdog::HardLockups(), before + 1);
}

TEST(WatchdogTest, QuietForTasksThatProgress) {
  Threshold t(1);
  uint64_t soft = watchdog::SoftLockups(), hard = watchdog::HardLockups();
  uint64_t end = timer::NowNanos() + kSpinNs;
  while (timer::NowNanos() < end) SleepFor(5'000'000);  // passes through idle
  EXPECT_EQ(watchdog::SoftLockups(), soft);
  EXPECT_EQ(watchdog::HardLockups(), hard);
}

TEST(WatchdogTest, ZeroTurnsItOff) {
  Threshold t(0);
  uint64_t soft = watchdog::SoftLockups();
  {
    PreemptGuard no_preempt;
    SpinFor(kSpinNs);
  }
  EXPECT_EQ(watchdog::SoftLockups(), soft);
}

}  // namespace
}  // namespace ostd
