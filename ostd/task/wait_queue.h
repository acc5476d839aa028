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

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"

#include "ostd/sync.h"

namespace ostd {

class Task;

// A FIFO queue of blocked tasks, each waiting for its own condition (see the
// top of this file). Not copyable or movable. It must outlive every waiter
// (waiters are queued through entries on their own stacks, and a woken waiter
// takes the queue's lock again to re-check its condition): destroying a
// WaitQueue that a task still waits on panics (see ~WaitQueue).
// constexpr-constructible, so a global one needs no constructor at boot.
class WaitQueue {
 public:
  constexpr WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  // Panics ("WaitQueue destroyed while a task waits on it") if a task is
  // queued. A task that was woken but has not yet left Wait() is waited for
  // (the caller yields while it finishes; where the caller cannot block, it
  // spins for up to 100 ms and then panics), so "WakeAll(), then destroy"
  // is safe.
  ~WaitQueue();

  // Blocks the calling task until cond() returns true (returns at once if it
  // already does). cond() runs with the queue's spin lock held and interrupts
  // off: it must be cheap, must not block and must read state that wakers
  // change before calling WakeOne/WakeAll. May block; requires a task context
  // with preemption enabled and no SpinLock held.
  template <typename Cond>
  void Wait(Cond cond) ABSL_LOCKS_EXCLUDED(lock_) {
    WaitImpl([](void* c) -> bool { return (*static_cast<Cond*>(c))(); }, &cond);
  }

  // Wakes the longest-waiting task (it re-checks its condition). Any context,
  // including interrupt handlers. Returns false if nobody waited.
  bool WakeOne() ABSL_LOCKS_EXCLUDED(lock_);
  // Wakes every waiting task; returns how many. Any context.
  int WakeAll() ABSL_LOCKS_EXCLUDED(lock_);

  // True if no task waits (a snapshot).
  bool empty() const ABSL_LOCKS_EXCLUDED(lock_);

 private:
  struct Waiter;  // a waiting task's entry (on its stack); wait_queue.cc

  // The wait loop behind Wait(): cond(arg) is the condition.
  void WaitImpl(bool (*cond)(void*), void* arg) ABSL_LOCKS_EXCLUDED(lock_);
  void AppendLocked(Waiter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  mutable SpinLock lock_;
  Waiter* head_ ABSL_GUARDED_BY(lock_) = nullptr;
  Waiter* tail_ ABSL_GUARDED_BY(lock_) = nullptr;
  // Tasks inside WaitImpl (queued, or woken and about to re-check): each
  // touches the queue until it has left, so destruction waits for zero.
  std::atomic<uint32_t> inside_{0};
};

}  // namespace ostd

#endif  // OSTD_TASK_WAIT_QUEUE_H_
