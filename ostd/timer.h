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
// nanoseconds, rounding down, at the rate of TscClock (ns_mult). 0 before
// the TSC is calibrated at boot. Any context. No overflow below about 500
// years of cycles.
uint64_t CyclesToNanos(uint64_t cycles);

// The fixed-point shift of TscClock::ns_mult.
inline constexpr uint32_t kTscShift = 32;

// How NowNanos() turns the TSC into time, for a clock read in user mode
// (the kernel's vDSO), which must agree with it to the nanosecond: with
// d = RDTSC - tsc_at_boot, NowNanos() = (d * ns_mult) >> kTscShift, the
// product taken in 128 bits (a multiply and a shift, no division: Linux's
// clocksource mult/shift). ns_mult is 10^9 * 2^kTscShift / tsc_hz rounded
// to nearest, so the clock is off by at most 1 part in 2^32 of the
// calibrated rate. Fixed once the TSC is calibrated at boot (all 0 before).
// Read-only facts: user mode may execute RDTSC.
struct TscClock {
  // The TSC value NowNanos() counts from (its 0).
  uint64_t tsc_at_boot = 0;
  // TSC ticks per second, as calibrated at boot (0 before).
  uint64_t tsc_hz = 0;
  // Nanoseconds per TSC tick, times 2^kTscShift (0 before calibration).
  uint64_t ns_mult = 0;
};
// The TSC clock's parameters (see TscClock). Any context.
TscClock TscClockParams();

// Busy-waits for at least `ns` nanoseconds.
void SpinDelayNanos(uint64_t ns);

}  // namespace ostd::timer

#endif  // OSTD_TIMER_H_
