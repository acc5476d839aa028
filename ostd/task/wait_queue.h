// WaitQueue: tasks sleeping until a condition becomes true.
//
//   // waiter                          // waker
//   wq.Wait([&] { return ready; });    ready = true;  (an atomic, or under a lock)
//                                      wq.WakeAll();
//
// No lost wake-ups: Wait() checks the condition and joins the queue atomically
// with respect to WakeOne/WakeAll, so a waker that makes the condition true
// before calling Wake* always either is seen by the check or finds the waiter.
#ifndef OSTD_TASK_WAIT_QUEUE_H_
#define OSTD_TASK_WAIT_QUEUE_H_

#include "absl/base/thread_annotations.h"

#include "ostd/sync.h"

namespace ostd {

class Task;

namespace task_internal {

// A waiting task's entry in a wait queue or mutex (lives on its stack).
struct Waiter {
  Task* task = nullptr;
  Waiter* next = nullptr;
};

// Marks the current task blocked and returns it. Requires interrupts off; the
// caller then publishes it where a waker finds it and calls BlockCurrent().
Task* PrepareToBlock();
// Switches away unless the current task was already woken and runs again.
// Requires interrupts off and preemption enabled (count 0).
void BlockCurrent();
// Makes a blocked task ready; false if it was not blocked. Any context.
bool Wake(Task* task);

}  // namespace task_internal

class WaitQueue {
 public:
  constexpr WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Blocks the calling task until cond() returns true (returns at once if it
  // already does). cond() runs with the queue's spin lock held and interrupts
  // off: it must be cheap, must not block and must read state that wakers
  // change before calling WakeOne/WakeAll. May block; requires a task context
  // with preemption enabled and no SpinLock held.
  template <typename Cond>
  void Wait(Cond cond) ABSL_LOCKS_EXCLUDED(lock_) {
    for (;;) {
      IrqGuard irq_off;
      task_internal::Waiter w;
      {
        SpinLockGuard guard(lock_);
        if (cond()) return;
        w.task = task_internal::PrepareToBlock();
        AppendLocked(&w);
      }
      task_internal::BlockCurrent();
    }
  }

  // Wakes the longest-waiting task (it re-checks its condition). Any context,
  // including interrupt handlers. Returns false if nobody waited.
  bool WakeOne() ABSL_LOCKS_EXCLUDED(lock_);
  // Wakes every waiting task; returns how many. Any context.
  int WakeAll() ABSL_LOCKS_EXCLUDED(lock_);

  // True if no task waits (a snapshot).
  bool empty() const ABSL_LOCKS_EXCLUDED(lock_);

 private:
  void AppendLocked(task_internal::Waiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  mutable SpinLock lock_;
  task_internal::Waiter* head_ ABSL_GUARDED_BY(lock_) = nullptr;
  task_internal::Waiter* tail_ ABSL_GUARDED_BY(lock_) = nullptr;
};

}  // namespace ostd

#endif  // OSTD_TASK_WAIT_QUEUE_H_
