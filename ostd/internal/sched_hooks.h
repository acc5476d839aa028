// Hooks between the framework core (trap entry, SpinLock, boot, AP idle loop)
// and the scheduler in ostd/task. Internal to the TCB; the core reaches
// ostd/task only through these link-time symbols.
#ifndef OSTD_INTERNAL_SCHED_HOOKS_H_
#define OSTD_INTERNAL_SCHED_HOOKS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arch/x86_64/trap_frame.h"
#include "ostd/internal/cpu_local.h"

namespace ostd::internal {

// Per-CPU preemption counter. Raising it needs no lock: only this CPU writes
// it, and a task switch happens only with the count at 0, so the count seen by
// a task never changes under it.
//
// The counter is changed with one GS-relative instruction, so a preemption
// between finding this CPU's block and updating it cannot make a task update
// the counter of the CPU it just left.
inline void PreemptDisable() {
  // SAFETY: GS base points at this CPU's CpuLocal (see ThisCpu()).
  asm volatile("incl %%gs:%c0" : : "i"(offsetof(CpuLocal, preempt_count)) : "memory", "cc");
}

// This CPU's preemption counter.
inline uint32_t PreemptCount() {
  uint32_t v;
  // SAFETY: as in PreemptDisable.
  asm volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(offsetof(CpuLocal, preempt_count)));
  return v;
}

// Exited tasks wait on the deferred-free list (ostd/task/task.cc): the
// next PreemptEnable that makes this CPU preemptible frees them.
extern std::atomic<bool> zombies_waiting;

// PreemptEnable's path when the count is 0 (a panic: a release nobody took
// on this CPU), or reaches 0 with work to do: freeing waiting tasks, or a
// reschedule pending.
void PreemptEnableSlow();

// Lowers the counter; at 0, with a reschedule pending and interrupts enabled,
// switches tasks (a preemption point). Inline for the common cases: a nested
// release (count above 1) and a last one with nothing to do.
inline void PreemptEnable() {
  uint32_t count = PreemptCount();
  if (count == 1) {
    bool need_resched;
    // SAFETY: a single %gs-relative byte load of this CPU's CpuLocal field.
    asm volatile("movb %%gs:%c1, %0"
                 : "=q"(need_resched)
                 : "i"(offsetof(CpuLocal, need_resched))
                 : "memory");
    if (need_resched || zombies_waiting.load(std::memory_order_relaxed)) {
      PreemptEnableSlow();
      return;
    }
  } else if (count == 0) {
    PreemptEnableSlow();  // panics
    return;
  }
  // SAFETY: as in PreemptDisable. The count is above 0 until this decrement,
  // so no task switch comes between the load and it; a reschedule requested
  // after the test above is honoured at the next preemption point or tick.
  asm volatile("decl %%gs:%c0" : : "i"(offsetof(CpuLocal, preempt_count)) : "memory", "cc");
}

// Sets up the scheduler on the boot CPU: the running context becomes the
// boot CPU's first task. Called once by ostd_boot_entry before KernelMain,
// after the application processors are online.
void InitScheduler();

// Set once by InitScheduler() (never cleared); read through SchedulerActive.
extern std::atomic<bool> scheduler_active;

// True once InitScheduler() has run.
inline bool SchedulerActive() { return scheduler_active.load(std::memory_order_acquire); }

// The task running on this CPU (CurrentTask() without the call), nullptr
// before the scheduler runs.
inline Task* RunningTask() { return SchedulerActive() ? ThisCpuCurrentTask() : nullptr; }

// The user space the running task is bound to (SetCurrentVmSpace), nullptr
// if none or before the scheduler runs. Only the task itself changes its
// binding, and the binding holds a reference: the space stays alive until the
// caller itself rebinds, whichever CPU it moves to meanwhile.
const vm::VmSpace* RunningTaskSpace();

// Timer tick on this CPU (called from the timer interrupt after EOI, with
// interrupts off): accounts the tick (to the running task's user or system
// ticks, as `from_user` says: the interrupt came from user mode), wakes
// expired sleepers, and preempts the interrupted kernel task if it must
// yield and `frame` shows it was preemptible (kernel mode, interrupts
// enabled, preempt count 0).
void SchedOnTimerTick(arch::TrapFrame& frame, bool from_user);

// From an application processor's idle loop, with interrupts off: runs the
// tasks queued for this CPU (returning when none is left) and returns true,
// or returns false at once if there is nothing to run (then the caller halts).
// Interrupts are off again on return.
bool SchedIdleRunOnce();

// Whether `cpu` is in its idle loop, as Enqueue sees it when it decides to
// send a reschedule interrupt (for tests).
bool CpuIsIdle(uint32_t cpu);

// The unmapped guard page below the current task's stack; size 0 before the
// scheduler runs and for a task on a stack without one (the boot task). Any
// context, a double fault's included: it only reads this CPU's current task.
struct StackGuard {
  uint64_t base = 0;
  uint64_t size = 0;
};
StackGuard CurrentStackGuard();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_SCHED_HOOKS_H_
