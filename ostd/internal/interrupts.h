// Interrupt controller and timer glue between trap dispatch and the timer. Internal.
#ifndef OSTD_INTERNAL_INTERRUPTS_H_
#define OSTD_INTERNAL_INTERRUPTS_H_

#include <cstdint>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/trap_frame.h"

namespace ostd::internal {

// Sets up the local APIC and its timer on the boot CPU: masks the legacy PIC,
// maps the LAPIC, calibrates the APIC timer and the TSC, then StartLocalTimer().
void InitInterruptsAndTimer();
// Enables this CPU's local APIC, records its APIC id in CpuLocal and starts its
// periodic timer at the rate calibrated on the boot CPU. For application
// processors (after InitCpuLocal); requires InitInterruptsAndTimer() done.
void StartLocalTimer();
void OnTimerInterrupt();
// The lockup watchdog's share of a timer interrupt on this CPU (interrupts
// off): notes this CPU's progress, reports it or another CPU stuck (ostd/watchdog.h).
void WatchdogTick(const arch::TrapFrame& frame);
void EndOfInterrupt();
// This CPU's local APIC (all CPUs share one mapping of the register page).
// Valid after InitInterruptsAndTimer().
arch::Lapic LocalApic();

// IPI handlers (ostd/smp), called by trap dispatch with interrupts off; the
// dispatcher sends the EOI.
void OnCallFunctionIpi();
// Counts a reschedule interrupt on this CPU (ostd/smp/cross_call.cc).
void OnRescheduleIpi();
void OnStopCpuIpi();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_INTERRUPTS_H_
