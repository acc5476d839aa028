// Preemption control.
#ifndef OSTD_TASK_PREEMPT_H_
#define OSTD_TASK_PREEMPT_H_

namespace ostd {

// Keeps the current task on this CPU, not preempted, for its lifetime
// (interrupts still arrive). Nestable. Code under a PreemptGuard must not block
// (Mutex, WaitQueue::Wait, SleepFor, Yield, Join). When the outermost guard is
// destroyed with a reschedule pending and interrupts enabled, the task may be
// switched out there (a preemption point). SpinLock holders are
// non-preemptible too.
class PreemptGuard {
 public:
  PreemptGuard();
  ~PreemptGuard();
  PreemptGuard(const PreemptGuard&) = delete;
  PreemptGuard& operator=(const PreemptGuard&) = delete;
};

// True if the calling code may be preempted or may block: preemption is not
// disabled and interrupts are enabled.
bool Preemptible();

}  // namespace ostd

#endif  // OSTD_TASK_PREEMPT_H_
