// Internals shared by the files of ostd/task (not a public header).
#ifndef OSTD_TASK_INTERNAL_TASK_CORE_H_
#define OSTD_TASK_INTERNAL_TASK_CORE_H_

#include <cstdint>
#include <utility>

#include "ostd/result.h"
#include "ostd/task/internal/scheduler.h"
#include "ostd/task/task.h"

namespace ostd {

namespace task_internal {

// Marks the current task blocked and returns it. Requires interrupts off; the
// caller then publishes it where a waker finds it and calls BlockCurrent().
Task* PrepareToBlock();
// Switches away unless the current task was already woken and runs again.
// Requires interrupts off and preemption enabled (count 0).
void BlockCurrent();
// Makes a blocked task ready; false if it was not blocked. Any context.
bool Wake(Task* task);
// Hands a ready task to the scheduler and, if the CPU it is queued on is idle
// (halted), sends that CPU a reschedule interrupt so it runs the task now
// rather than at its next timer tick. Any context.
void Enqueue(Task& task, EnqueueReason reason);

}  // namespace task_internal

namespace internal {

// Friend of Task: the only code touching its private state.
class TaskCore {
 public:
  // task.cc: creation and destruction.
  static Result<Task*> Create(TaskBody body, const TaskOptions& options, bool idle);
  // A Task for the context already running on this CPU (boot or AP stack).
  static Task* Adopt(bool idle);
  // Frees the stack and the Task (interrupts enabled, preemptible context).
  static void Destroy(Task* t);
  // Drops one reference; the last one frees the task or defers that.
  static void Release(Task* t);
  // A timer tick found `t` running, in user mode if `user` (Task::cpu_ticks).
  // Only the tick of the CPU running `t` calls it.
  static void CountTick(Task* t, bool user);

  // sched.cc: scheduling.
  // Switches to the next task if there is one (or to idle if the current
  // task cannot continue). Requires interrupts off and preempt count 0.
  // Returns false if it did not switch.
  static bool Schedule();
  // Finishes a switch on the side of the task that now runs (interrupts off).
  static void FinishSwitch();
  [[noreturn]] static void ExitCurrent();

  static Task*& SleepNext(Task* t) { return t->sleep_next_; }
  static uint64_t& WakeAt(Task* t) { return t->wake_at_ns_; }
  static Task*& ZombieNext(Task* t) { return t->zombie_next_; }
  // Runs the task's body once and destroys it (the task's own entry point).
  static void RunBody(Task* t) {
    TaskBody body = std::move(t->body_);
    if (body.closure_ != nullptr) body.closure_->Run();
  }
  // A body running fn() (boot-time tasks; ENOMEM as TaskBody::Make).
  static Result<TaskBody> BodyOf(void (*fn)()) { return TaskBody::Make(fn); }
  static Task::SchedLinks& Links(Task& t) { return t.sched_links_; }
  // A new counted handle to `t` (not null).
  static TaskRef RefOf(Task* t) { return TaskRef(t); }
  static uint64_t* SavedRsp(Task* t) { return &t->saved_rsp_; }
  static std::atomic<bool>& OnCpu(Task* t) { return t->on_cpu_; }
  static std::atomic<TaskState>& State(Task* t) { return t->state_; }
  static std::atomic<bool>& Finished(Task* t) { return t->finished_; }
  static std::atomic<uint32_t>& Cpu(Task* t) { return t->cpu_; }
  static std::atomic<uint64_t>& Affinity(Task* t) { return t->affinity_; }
  static bool IsIdle(const Task* t) { return t->is_idle_; }
  static const vm::VmSpace* BoundSpace(const Task* t) { return t->vm_space_.get(); }
  static WaitQueue& ExitWaiters(Task* t) { return t->exit_waiters_; }
};

}  // namespace internal

using internal::TaskCore;

}  // namespace ostd

#endif  // OSTD_TASK_INTERNAL_TASK_CORE_H_
