#include "ostd/sync.h"

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"

namespace ostd {

bool InterruptsEnabled() { return arch::InterruptsEnabled(); }

IrqGuard::IrqGuard() : was_enabled_(arch::InterruptsEnabled()) { arch::DisableInterrupts(); }

IrqGuard::~IrqGuard() {
  if (was_enabled_) arch::EnableInterrupts();
}

namespace {

// Raises the preempt count once the scheduler runs (before that, early boot
// may take locks before this CPU's CpuLocal exists); true if it did.
bool MaybeDisablePreemption() {
  if (!internal::SchedulerActive()) return false;
  internal::PreemptDisable();
  return true;
}

}  // namespace

void SpinLock::Lock() {
  bool enabled = arch::InterruptsEnabled();
  arch::DisableInterrupts();
  bool preempt = MaybeDisablePreemption();
  while (locked_.exchange(true, std::memory_order_acquire)) {
    // The holder may be waiting for this CPU to run a cross-CPU call (a TLB
    // shootdown): serve those while spinning, or the two CPUs deadlock.
    while (locked_.load(std::memory_order_relaxed)) {
      internal::ServeCrossCallsWhileSpinning();
      arch::Pause();
    }
  }
  irq_was_enabled_ = enabled;
  preempt_disabled_ = preempt;
  if (preempt) owner_cpu_ = internal::ThisCpu().cpu_id;
}

bool SpinLock::TryLock() {
  bool enabled = arch::InterruptsEnabled();
  arch::DisableInterrupts();
  if (locked_.exchange(true, std::memory_order_acquire)) {
    if (enabled) arch::EnableInterrupts();
    return false;
  }
  irq_was_enabled_ = enabled;
  preempt_disabled_ = MaybeDisablePreemption();
  if (preempt_disabled_) owner_cpu_ = internal::ThisCpu().cpu_id;
  return true;
}

void SpinLock::Unlock() {
  // Unlocking a free lock would restore a stale interrupt state and drop a
  // preemption count this CPU does not hold.
  if (!locked_.load(std::memory_order_relaxed))
    OSTD_PANIC("SpinLock::Unlock of a lock nobody holds");
  bool enable = irq_was_enabled_;
  bool preempt = preempt_disabled_;
  // The interrupt state and preemption count belong to the CPU that locked.
  if (preempt && owner_cpu_ != internal::ThisCpu().cpu_id) {
    OSTD_PANIC("SpinLock taken on CPU {} released on CPU {}", owner_cpu_, cpu::CurrentId());
  }
  locked_.store(false, std::memory_order_release);
  if (enable) arch::EnableInterrupts();
  if (preempt) internal::PreemptEnable();
}

}  // namespace ostd
