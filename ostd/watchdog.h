// The lockup watchdog, modelled on Linux's soft and hard lockup detectors.
//
// A soft lockup is a CPU that stays in kernel mode, on the same task, without
// passing through the scheduler, user mode or its idle loop for longer than
// the threshold (a kernel loop that never ends, a spin on a lock nobody
// releases). The CPU's own timer interrupt sees it and prints
//
//   watchdog: BUG: soft lockup - CPU#1 stuck for 21s
//
// with the backtrace of the interrupted code. A hard lockup is a CPU that
// takes no timer interrupt for longer than the threshold (a loop with
// interrupts off); another CPU's timer interrupt sees it and prints
//
//   watchdog: BUG: hard lockup - CPU#1 took no timer interrupt for 21s
//
// with where that CPU was at its last tick. Each is reported once per
// episode (again only after the CPU made progress); nothing is stopped, as
// Linux's default (softlockup_panic=0).
#ifndef OSTD_WATCHDOG_H_
#define OSTD_WATCHDOG_H_

#include <cstdint>

namespace ostd::watchdog {

// The bound past which a CPU counts as stuck, in seconds (Linux's soft
// lockup bound, 2 * watchdog_thresh, is 20 s by default); 0 turns the
// watchdog off. Default 20. Any context.
void SetThresholdSeconds(uint32_t seconds);
// The bound in force (0: off). Any context.
uint32_t ThresholdSeconds();

// Soft lockups reported since boot (for tests and diagnostics). Any context.
uint64_t SoftLockups();
// Hard lockups reported since boot (for tests and diagnostics). Any context.
uint64_t HardLockups();

}  // namespace ostd::watchdog

#endif  // OSTD_WATCHDOG_H_
