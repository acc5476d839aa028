// Interrupt controller and timer glue between trap dispatch and the timer. Internal.
#ifndef OSTD_INTERNAL_INTERRUPTS_H_
#define OSTD_INTERNAL_INTERRUPTS_H_

namespace ostd::internal {

// Sets up the local APIC and its timer on the boot CPU (calibrates the TSC).
void InitInterruptsAndTimer();
void OnTimerInterrupt();
void EndOfInterrupt();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_INTERRUPTS_H_
