// Interrupt controller and timer glue between trap dispatch and the timer. Internal.
#ifndef OSTD_INTERNAL_INTERRUPTS_H_
#define OSTD_INTERNAL_INTERRUPTS_H_

#include <cstdint>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/trap_frame.h"

namespace ostd::internal {

// Sets up the local APIC and its timer on the boot CPU, then
// StartLocalTimer(). Where the platform has the xAPIC page: masks the legacy
// PIC, maps the page and calibrates the APIC timer and the TSC against the
// PIT. In a TD: the x2APIC through the platform seam, the TSC's rate from
// cpuid and the APIC timer measured against the TSC.
void InitInterruptsAndTimer();
// The local APIC's physical base, read from IA32_APIC_BASE through the
// platform seam by InitInterruptsAndTimer (the architectural default before
// that, or if the platform refused the read).
uint64_t LapicPaddr();
// Makes LocalApic() and EndOfInterrupt() use the x2APIC through the platform
// seam from now on: InitInterruptsAndTimer in a TD, and a tdx_sim kernel once
// the simulated TD is up, so that its interrupts and IPIs take a TD's paths. APIC ids stay (QEMU's
// xAPIC and x2APIC ids agree).
void SwitchToX2apic();
// The APIC timer count of one tick period (for tests).
uint64_t TimerTicksPerTick();
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
