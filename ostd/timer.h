// Time since boot and the periodic timer tick.
#ifndef OSTD_TIMER_H_
#define OSTD_TIMER_H_

#include <cstdint>

namespace ostd::timer {

// Timer interrupt frequency (ticks per second).
inline constexpr uint64_t kTickHz = 250;

// Timer interrupts taken on the boot CPU since the timer started.
uint64_t Ticks();

// Monotonic nanoseconds since boot, from the TSC (calibrated at boot).
uint64_t NowNanos();

// A raw cycle stamp (cheap: no conversion), and the nanoseconds a difference
// of two stamps spans. For accounting on hot paths.
uint64_t NowCycles();
// Converts a count of TSC cycles (a difference of two NowCycles() stamps) to
// nanoseconds, rounding down. 0 before the TSC is calibrated at boot. Any
// context. Exact for any count below about 500 years of cycles.
uint64_t CyclesToNanos(uint64_t cycles);

// How NowNanos() turns the TSC into time, for a clock read in user mode
// (the kernel's vDSO), which must agree with it to the nanosecond:
// with d = RDTSC - tsc_at_boot, NowNanos() = d / tsc_hz * 10^9 +
// d % tsc_hz * 10^9 / tsc_hz. Fixed once the TSC is calibrated at boot
// (tsc_hz 0 before). Read-only facts: user mode may execute RDTSC.
struct TscClock {
  // The TSC value NowNanos() counts from (its 0).
  uint64_t tsc_at_boot = 0;
  // TSC ticks per second, as calibrated at boot (0 before).
  uint64_t tsc_hz = 0;
};
// The TSC clock's parameters (see TscClock). Any context.
TscClock TscClockParams();

// Busy-waits for at least `ns` nanoseconds.
void SpinDelayNanos(uint64_t ns);

}  // namespace ostd::timer

#endif  // OSTD_TIMER_H_
