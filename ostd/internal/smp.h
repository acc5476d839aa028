// Cross-CPU services inside the TCB: calls on other CPUs and stopping them.
// Implemented in ostd/smp/ (application processor bring-up and IPIs).
#ifndef OSTD_INTERNAL_SMP_H_
#define OSTD_INTERNAL_SMP_H_

#include <cstdint>

#include "ostd/cpu_set.h"

namespace ostd::internal {

// Starts the application processors listed in the ACPI MADT (or probes APIC
// ids) and waits until each runs with its CpuLocal, GDT/IDT, LAPIC and timer.
// Called once by the boot CPU from ostd_boot_entry, before KernelMain.
void StartApplicationProcessors();

// The CPUs that are online now.
CpuSet OnlineCpus();

// Runs fn(arg) on every CPU in `targets` (the calling CPU excluded, even if
// listed) from the IPI handler, with interrupts off, and returns after all of
// them finished. May be called with interrupts off: while it waits, this CPU
// keeps serving other CPUs' calls (as does a CPU spinning on a SpinLock), so
// two CPUs calling each other, or a caller holding a lock another target
// wants, cannot deadlock. `fn` must not take locks.
void CallOnCpus(CpuSet targets, void (*fn)(void*), void* arg);

// How many cpu::SerializeAllCpus interrupts `cpu` has answered (ktests).
uint64_t SerializedCount(uint32_t cpu);

// Sends `cpu` (not the caller's) a reschedule interrupt, which ends an idle
// hlt there. Fire and forget; any context.
void SendRescheduleIpi(uint32_t cpu);
// Reschedule interrupts `cpu` has taken since boot (for tests).
uint64_t RescheduleIpisReceived(uint32_t cpu);

// Runs the cross-CPU calls queued for this CPU and honours a stop, as the IPIs
// would. For loops that spin with interrupts off (SpinLock::Lock), so that a
// CPU waiting for a lock never blocks a shootdown by the lock's holder.
void ServeCrossCallsWhileSpinning();

// Parks every other online CPU in a spin loop with interrupts off until the
// guard is destroyed (text patching uses this). Nests are not allowed.
class StopOtherCpusGuard {
 public:
  StopOtherCpusGuard();
  ~StopOtherCpusGuard();
  StopOtherCpusGuard(const StopOtherCpusGuard&) = delete;
  StopOtherCpusGuard& operator=(const StopOtherCpusGuard&) = delete;
};

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_SMP_H_
