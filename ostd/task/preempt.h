// Preemption control.
#ifndef OSTD_TASK_PREEMPT_H_
#define OSTD_TASK_PREEMPT_H_

#include <cstdint>

#include "ostd/scoped_guard.h"

namespace ostd {

// Keeps the current task on this CPU, not preempted, for its lifetime
// (interrupts still arrive). Nestable. Code under a PreemptGuard must not block
// (Mutex, WaitQueue::Wait, SleepFor, Yield, Join). When the outermost guard is
// destroyed with a reschedule pending and interrupts enabled, the task may be
// switched out there (a preemption point). SpinLock holders are
// non-preemptible too.
//
// A guard lives in the scope that made it (OSTD_SCOPED_GUARD: a local
// variable only), and destroying it on another CPU than the one it was made
// on panics.
class OSTD_SCOPED_GUARD PreemptGuard final {
 public:
  PreemptGuard();
  ~PreemptGuard();
  PreemptGuard(const PreemptGuard&) = delete;
  PreemptGuard& operator=(const PreemptGuard&) = delete;

 private:
  uint32_t cpu_ = 0;  // the CPU whose count this guard raised
};

// True if the calling code may be preempted or may block: preemption is not
// disabled and interrupts are enabled.
bool Preemptible();

}  // namespace ostd

#endif  // OSTD_TASK_PREEMPT_H_
