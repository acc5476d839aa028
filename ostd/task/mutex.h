// A sleeping mutual-exclusion lock for task context.
//
// Unlike SpinLock, a contended Lock() blocks the task and lets others run.
// Ownership is handed over in FIFO order: Unlock() gives the mutex directly to
// the longest waiter, so no waiter starves and no wake-up is lost.
//
// The owner word holds the owning task and a "waiters" bit. Uncontended
// Lock() and Unlock() are one compare-and-swap each; only a task that must
// wait, and the Unlock() that finds the bit set, take the internal spin lock
// that guards the queue.
#ifndef OSTD_TASK_MUTEX_H_
#define OSTD_TASK_MUTEX_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"

#include "ostd/scoped_guard.h"
#include "ostd/sync.h"
#include "ostd/task/wait_queue.h"

namespace ostd {

class Task;

// A sleeping lock owned by a task (see the top of this file). Not recursive,
// not copyable or movable. It must outlive every task that holds or waits for
// it (waiters are queued through entries on their own stacks, and the holder
// will unlock it): destroying a Mutex that is held or waited on panics.
// constexpr-constructible, so a global one needs no constructor at boot.
class ABSL_LOCKABLE Mutex {
 public:
  constexpr Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  // Panics ("Mutex destroyed while held") if a task holds the mutex (a waiter
  // always implies a holder: ownership is handed over directly), instead of
  // leaving the holder and the waiters with a freed lock.
  ~Mutex();

  // Acquires the mutex, blocking while another task holds it. May block:
  // requires task context with preemption enabled and no SpinLock held. Not
  // recursive (a task locking a mutex it holds panics).
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION();
  // Acquires the mutex if it is free; never blocks. True if acquired.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true);
  // Releases the mutex (requires the calling task to hold it: otherwise a
  // panic), handing it to the first waiter if any. Never blocks.
  void Unlock() ABSL_UNLOCK_FUNCTION();

  // True if the calling task holds the mutex.
  bool HeldByCurrentTask() const;

 private:
  struct Waiter;  // a waiting task's entry (on its stack); mutex.cc

  static constexpr uintptr_t kWaitersBit = 1;  // Task objects are aligned
  void LockSlow(Task* self);
  void UnlockSlow();

  SpinLock lock_;
  // The owning Task's address | kWaitersBit while the queue is not empty.
  std::atomic<uintptr_t> owner_{0};
  Waiter* head_ ABSL_GUARDED_BY(lock_) = nullptr;
  Waiter* tail_ ABSL_GUARDED_BY(lock_) = nullptr;
};

// Holds a Mutex for its lifetime. May block (in the constructor).
class OSTD_SCOPED_GUARD ABSL_SCOPED_LOCKABLE MutexGuard final {
 public:
  // Calls m.Lock() (same requirements: task context, preemption enabled, no
  // SpinLock held). `m` must outlive the guard; the destructor unlocks it.
  explicit MutexGuard(Mutex& m) ABSL_EXCLUSIVE_LOCK_FUNCTION(m) : m_(m) { m_.Lock(); }
  ~MutexGuard() ABSL_UNLOCK_FUNCTION() { m_.Unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& m_;
};

}  // namespace ostd

#endif  // OSTD_TASK_MUTEX_H_
