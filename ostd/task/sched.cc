// The task core: context switches, blocking and waking, sleeping, preemption,
// idle tasks and the hooks the framework core calls (sched_hooks.h).
//
// Invariants:
// * A task runs on at most one CPU: on_cpu is set (asserted clear) by the CPU
//   switching to it and cleared by that CPU only after the task's registers
//   are saved. A task joins a run queue only when on_cpu is clear: a yielding
//   or preempted task is enqueued after the switch away from it, and Wake()
//   waits for on_cpu to clear (the blocking CPU is in a short interrupts-off
//   path to its switch) before enqueueing.
// * Switches happen with interrupts off and the preempt count at 0.
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/platform/internal/current.h"
#include "ostd/sync.h"
#include "ostd/task/internal/round_robin.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/preempt.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

extern "C" {
// Saves the callee-saved registers and rsp to *save_rsp, resumes next_rsp.
void arch_context_switch(uint64_t* save_rsp, uint64_t next_rsp);
[[noreturn]] void ostd_task_entry();
}

namespace ostd {
namespace {

RoundRobinScheduler default_scheduler;
// CPUs in their idle loop with nothing to run (they may be halted).
AtomicCpuSet idle_cpus;

// Tasks in SleepFor, per CPU they went to sleep on (that CPU's tick wakes them).
struct SleepList {
  SpinLock lock;
  Task* head ABSL_GUARDED_BY(lock) = nullptr;
};
SleepList sleepers[kMaxCpus];

Scheduler& Sched() { return default_scheduler; }

void WakeExpiredSleepers(uint32_t cpu) {
  uint64_t now = timer::NowNanos();
  Task* expired = nullptr;
  {
    SleepList& l = sleepers[cpu];
    SpinLockGuard guard(l.lock);
    Task** link = &l.head;
    while (*link != nullptr) {
      Task* t = *link;
      if (TaskCore::WakeAt(t) <= now) {
        *link = TaskCore::SleepNext(t);
        TaskCore::SleepNext(t) = expired;
        expired = t;
      } else {
        link = &TaskCore::SleepNext(t);
      }
    }
  }
  while (expired != nullptr) {
    Task* next = TaskCore::SleepNext(expired);
    TaskCore::SleepNext(expired) = nullptr;
    task_internal::Wake(expired);
    expired = next;
  }
}

// The boot CPU's idle task body (application processors idle in
// smp::IdleLoop, which calls SchedIdleRunOnce the same way).
void IdleMain() {
  for (;;) {
    // SAFETY: interrupts go off only to look for work without losing a
    // wake-up; sti;hlt re-enables them atomically.
    arch::DisableInterrupts();
    if (!internal::SchedIdleRunOnce()) platform::Current().SafeHalt();
  }
}

}  // namespace

Scheduler& CurrentScheduler() { return Sched(); }

bool TaskCore::Schedule() {
  OSTD_ASSERT(!arch::InterruptsEnabled());
  internal::CpuLocal& c = internal::ThisCpu();
  if (c.preempt_count != 0) {
    OSTD_PANIC("task switch on CPU {} with preemption disabled (count {})", c.cpu_id,
               c.preempt_count);
  }
  c.need_resched.store(false, std::memory_order_relaxed);
  Task* prev = c.current_task;
  TaskState st = prev->state_.load(std::memory_order_acquire);
  OSTD_ASSERT(st != TaskState::kRunning || prev->on_cpu_.load(std::memory_order_relaxed));
  Task* next = Sched().PickNext(c.cpu_id);
  if (next == nullptr) {
    // Nothing else to run: carry on, unless the task may no longer run here
    // (SetCurrentTaskAffinity); then it is requeued elsewhere below.
    if (st == TaskState::kRunning && prev->affinity().Contains(c.cpu_id)) return false;
    next = c.idle_task;
  }
  OSTD_ASSERT(next != nullptr && next != prev);
  if (next != c.idle_task) idle_cpus.Remove(c.cpu_id);
  OSTD_ASSERT(next->affinity().Contains(c.cpu_id));
  bool requeue = st == TaskState::kRunning && !prev->is_idle_;
  if (requeue) prev->state_.store(TaskState::kReady, std::memory_order_relaxed);
  // The CPU that ran `next` last must have finished saving it. With the
  // enqueue rules above this never waits; the exchange asserts it.
  while (next->on_cpu_.load(std::memory_order_acquire)) arch::Pause();
  bool was_on_cpu = next->on_cpu_.exchange(true, std::memory_order_acq_rel);
  if (was_on_cpu) OSTD_PANIC("task {} would run on two CPUs", next->id_);
  next->state_.store(TaskState::kRunning, std::memory_order_relaxed);
  next->cpu_.store(c.cpu_id, std::memory_order_relaxed);
  // A user thread's FPU state may still be live in this CPU's registers:
  // save it before another task (perhaps another user thread) runs here.
  internal::SaveLiveUserFpu();
  if (next->vm_space_ != nullptr) {
    next->vm_space_->Activate();
  } else {
    vm::VmSpace::ActivateKernel();
  }
  // CPU time: close prev's slice and open next's.
  uint64_t now = timer::NowNanos();
  uint64_t started = prev->slice_start_ns_.load(std::memory_order_relaxed);
  if (started != 0) prev->cpu_ns_.fetch_add(now - started, std::memory_order_release);
  prev->slice_start_ns_.store(0, std::memory_order_release);
  next->slice_start_ns_.store(now, std::memory_order_release);
  c.current_task = next;
  c.switch_prev = prev;
  c.switch_requeue = requeue;
  // SAFETY: both contexts are tasks' kernel stacks in the layout
  // arch_context_switch uses; `prev` stays on_cpu until FinishSwitch below
  // (run by whichever task resumes here) has seen its registers saved.
  arch_context_switch(&prev->saved_rsp_, next->saved_rsp_);
  FinishSwitch();
  return true;
}

void TaskCore::FinishSwitch() {
  internal::CpuLocal& c = internal::ThisCpu();
  Task* prev = c.switch_prev;
  bool requeue = c.switch_requeue;
  c.switch_prev = nullptr;
  c.switch_requeue = false;
  bool exited = prev->state_.load(std::memory_order_relaxed) == TaskState::kExited;
  prev->on_cpu_.store(false, std::memory_order_release);
  if (requeue) task_internal::Enqueue(*prev, EnqueueReason::kYield);
  if (exited) {
    prev->finished_.store(true, std::memory_order_release);
    prev->exit_waiters_.WakeAll();
    Release(prev);  // the scheduler's reference (freed later if it was the last)
  }
}

void TaskCore::ExitCurrent() {
  arch::DisableInterrupts();
  internal::ThisCpu().current_task->state_.store(TaskState::kExited, std::memory_order_release);
  Schedule();
  OSTD_PANIC("an exited task was resumed");
}

Status SetCurrentTaskAffinity(CpuSet cpus) {
  if ((cpus.bits() & internal::OnlineCpus().bits()) == 0) return Err(Errno::kEINVAL);
  Task* self = CurrentTask();
  OSTD_ASSERT(self != nullptr && !TaskCore::IsIdle(self));
  TaskCore::Affinity(self).store(cpus.bits(), std::memory_order_release);
  IrqGuard irq_off;
  // Schedule() moves a task that may not stay (requeued on an allowed CPU).
  if (!cpus.Contains(internal::ThisCpu().cpu_id)) TaskCore::Schedule();
  return {};
}

Task* CurrentTask() { return internal::RunningTask(); }

TaskRef CurrentTaskRef() {
  Task* t = internal::RunningTask();
  return t == nullptr ? TaskRef() : TaskRef(t);
}

void TaskCore::CountTick(Task* t, bool user) {
  std::atomic<uint64_t>& ticks = user ? t->user_ticks_ : t->system_ticks_;
  ticks.store(ticks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

Task::CpuTicks Task::cpu_ticks() const {
  return CpuTicks{.user = user_ticks_.load(std::memory_order_relaxed),
                  .system = system_ticks_.load(std::memory_order_relaxed)};
}

void Task::set_nice(int nice) const {
  nice_.store(nice < -20 ? -20 : (nice > 19 ? 19 : nice), std::memory_order_relaxed);
}

uint64_t Task::cpu_nanos() const {
  // The finished slices first, then the running one: a switch in between
  // can only hide a slice (until the next read), never count one twice.
  uint64_t total = cpu_ns_.load(std::memory_order_acquire);
  uint64_t started = slice_start_ns_.load(std::memory_order_acquire);
  uint64_t now = timer::NowNanos();
  if (started != 0 && now > started) total += now - started;
  return total;
}

bool ShouldYield() { return internal::ThisCpu().need_resched.load(std::memory_order_relaxed); }

const vm::VmSpace* internal::RunningTaskSpace() {
  Task* self = RunningTask();
  return self == nullptr ? nullptr : internal::TaskCore::BoundSpace(self);
}

void SetCurrentVmSpace(RefPtr<vm::VmSpace> space) {
  RefPtr<vm::VmSpace> old;  // dropped last, once no longer active here
  {
    IrqGuard irq_off;  // no switch between binding and activating
    Task* self = internal::ThisCpu().current_task;
    OSTD_ASSERT(self != nullptr);
    old = std::move(self->vm_space_);
    self->vm_space_ = std::move(space);
    if (self->vm_space_ != nullptr) {
      self->vm_space_->Activate();
    } else {
      vm::VmSpace::ActivateKernel();
    }
  }
}

void Yield() {
  if (!internal::SchedulerActive()) return;
  IrqGuard irq_off;
  TaskCore::Schedule();
}

void SleepFor(uint64_t ns) {
  if (!internal::SchedulerActive()) {
    timer::SpinDelayNanos(ns);
    return;
  }
  uint64_t wake_at = timer::NowNanos() + ns;
  IrqGuard irq_off;
  internal::CpuLocal& c = internal::ThisCpu();
  {
    SleepList& l = sleepers[c.cpu_id];
    SpinLockGuard guard(l.lock);
    Task* self = task_internal::PrepareToBlock();
    TaskCore::WakeAt(self) = wake_at;
    TaskCore::SleepNext(self) = l.head;
    l.head = self;
  }
  task_internal::BlockCurrent();
}

PreemptGuard::PreemptGuard() {
  internal::PreemptDisable();
  cpu_ = internal::ThisCpu().cpu_id;  // after the disable: no migration in between
}
PreemptGuard::~PreemptGuard() {
  if (internal::ThisCpu().cpu_id != cpu_) {
    OSTD_PANIC("PreemptGuard taken on CPU {} released on CPU {}", cpu_, internal::ThisCpu().cpu_id);
  }
  internal::PreemptEnable();
}

bool Preemptible() { return arch::InterruptsEnabled() && internal::PreemptCount() == 0; }

namespace task_internal {

Task* PrepareToBlock() {
  OSTD_ASSERT(!arch::InterruptsEnabled());
  Task* self = internal::ThisCpu().current_task;
  OSTD_ASSERT(self != nullptr && !TaskCore::IsIdle(self));
  TaskCore::State(self).store(TaskState::kBlocked, std::memory_order_release);
  return self;
}

void BlockCurrent() {
  OSTD_ASSERT(!arch::InterruptsEnabled());
  Task* self = internal::ThisCpu().current_task;
  if (TaskCore::State(self).load(std::memory_order_acquire) == TaskState::kRunning) return;
  TaskCore::Schedule();
}

bool Wake(Task* task) {
  TaskState expected = TaskState::kBlocked;
  if (!TaskCore::State(task).compare_exchange_strong(expected, TaskState::kReady,
                                                     std::memory_order_acq_rel)) {
    return false;
  }
  // It may still be switching away on its CPU (interrupts off, a few
  // instructions): enqueue only once it is saved.
  while (TaskCore::OnCpu(task).load(std::memory_order_acquire)) arch::Pause();
  Enqueue(*task, EnqueueReason::kWake);
  return true;
}

void Enqueue(Task& task, EnqueueReason reason) {
  uint32_t cpu = Sched().Enqueue(task, reason);
  // Pairs with the fence in SchedIdleRunOnce: either that CPU's look at its
  // queue finds the task, or this load finds it idle and the IPI wakes it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (cpu != cpu::CurrentId() && idle_cpus.Load().Contains(cpu)) internal::SendRescheduleIpi(cpu);
}

}  // namespace task_internal

namespace internal {

void PreemptEnableSlow() {
  // A count already at 0 means a guard or lock is being released on a CPU
  // that did not take it (or twice): it would make this CPU preemptible
  // inside someone else's non-preemptible section.
  if (PreemptCount() == 0) {
    OSTD_PANIC(
        "PreemptEnable with preemption enabled on CPU {} (a guard released twice, or "
        "on another CPU than the one that took it)",
        ThisCpu().cpu_id);
  }
  // SAFETY: as in PreemptDisable; the count is > 0 here, so no migration.
  asm volatile("decl %%gs:%c0" : : "i"(offsetof(CpuLocal, preempt_count)) : "memory", "cc");
  if (PreemptCount() != 0 || !scheduler_active.load(std::memory_order_relaxed)) return;
  // Exited tasks whose last reference went with interrupts off: free them
  // now that this context may block (ReapTasks checks the interrupt flag).
  if (zombies_waiting.load(std::memory_order_relaxed)) ReapTasks();
  // Most releases find nothing to do: test this CPU's flag with one load
  // before paying for an interrupt guard. (A flag set just after the test
  // is honoured at the next preemption point or tick.)
  bool need_resched = false;
  // SAFETY: a single %gs-relative byte load of this CPU's CpuLocal field.
  asm volatile("movb %%gs:%c1, %0"
               : "=q"(need_resched)
               : "i"(offsetof(CpuLocal, need_resched))
               : "memory");
  if (!need_resched || !arch::InterruptsEnabled()) return;
  IrqGuard irq_off;
  CpuLocal& c = ThisCpu();
  if (c.preempt_count != 0 || !c.need_resched.load(std::memory_order_relaxed)) return;
  if (c.current_task == nullptr || TaskCore::IsIdle(c.current_task)) return;
  TaskCore::Schedule();
}

std::atomic<bool> scheduler_active{false};

StackGuard CurrentStackGuard() {
  if (!internal::SchedulerActive()) return {};
  const Task* t = ThisCpu().current_task;
  if (t == nullptr || t->stack_bottom() == 0) return {};
  return {t->stack_bottom() - Task::kGuardSize, Task::kGuardSize};
}

void InitScheduler() {
  CpuLocal& c = ThisCpu();
  OSTD_ASSERT(c.cpu_id == 0 && c.current_task == nullptr);
  c.current_task = TaskCore::Adopt(/*idle=*/false);
  Result<TaskBody> body = TaskCore::BodyOf(&IdleMain);
  if (!body) OSTD_PANIC("no memory for the boot CPU's idle task: {}", body.error());
  CpuSet cpu0;
  cpu0.Add(0);
  Result<Task*> idle =
      TaskCore::Create(std::move(*body), TaskOptions().name("idle").affinity(cpu0), true);
  if (!idle) OSTD_PANIC("no memory for the boot CPU's idle task: {}", idle.error());
  c.idle_task = *idle;
  internal::scheduler_active.store(true, std::memory_order_release);
}

void SchedOnTimerTick(arch::TrapFrame& frame, bool from_user) {
  if (!internal::SchedulerActive()) return;
  CpuLocal& c = ThisCpu();
  Task* cur = c.current_task;
  if (cur == nullptr) return;  // an application processor not in its idle loop yet
  WakeExpiredSleepers(c.cpu_id);
  bool idle = TaskCore::IsIdle(cur);
  if (!idle) TaskCore::CountTick(cur, from_user);
  if (Sched().OnTick(c.cpu_id, idle ? nullptr : cur)) {
    c.need_resched.store(true, std::memory_order_relaxed);
  }
  if (!idle && c.need_resched.load(std::memory_order_relaxed) && c.preempt_count == 0 &&
      (frame.rflags & arch::kFlagsIf) != 0 && !frame.from_user()) {
    TaskCore::Schedule();  // resumes here later, then returns through the trap exit
  }
}

bool SchedIdleRunOnce() {
  if (!internal::SchedulerActive()) return false;
  CpuLocal& c = ThisCpu();
  if (c.idle_task == nullptr) {
    c.idle_task = TaskCore::Adopt(/*idle=*/true);
    c.current_task = c.idle_task;
  }
  OSTD_ASSERT(c.current_task == c.idle_task);
  // Idle from here until Schedule switches to a task: a waker that queues one
  // for this CPU afterwards sees the bit and sends an IPI (see Enqueue).
  idle_cpus.Add(c.cpu_id);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return TaskCore::Schedule();
}

bool CpuIsIdle(uint32_t cpu) { return idle_cpus.Load().Contains(cpu); }

}  // namespace internal
}  // namespace ostd

extern "C" [[noreturn]] void ostd_task_entry() {
  using namespace ostd;
  TaskCore::FinishSwitch();
  // SAFETY: a new task starts with interrupts on; its first switch ran with
  // them off and the preempt count at 0.
  arch::EnableInterrupts();
  Task* self = CurrentTask();
  TaskCore::RunBody(self);
  TaskCore::ExitCurrent();
}
