// Spin locks and interrupt guards, annotated for clang's -Wthread-safety.
//
// SpinLock disables local interrupts and preemption while held, so it can
// protect state shared with interrupt handlers and its holder is never switched
// out. Never sleep (block, Yield) while holding one.
#ifndef OSTD_SYNC_H_
#define OSTD_SYNC_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"

#include "ostd/scoped_guard.h"

namespace ostd {

// True if interrupts are enabled on this CPU (a query: it changes nothing).
bool InterruptsEnabled();

// Disables interrupts on this CPU for its lifetime and restores the previous
// state (nesting works). A local variable only (OSTD_SCOPED_GUARD).
class OSTD_SCOPED_GUARD IrqGuard final {
 public:
  IrqGuard();
  ~IrqGuard();
  IrqGuard(const IrqGuard&) = delete;
  IrqGuard& operator=(const IrqGuard&) = delete;

 private:
  bool was_enabled_;
};

// A non-recursive busy-waiting lock (see the top of this file). Taking one the
// caller already holds spins forever with interrupts off; nested spin locks must
// be released in the reverse order they were taken, since each Unlock()
// restores the interrupt state its Lock() found. Only the holder may call
// Unlock() (-Wthread-safety checks this where the code is annotated).
// constexpr-constructible, so a global one needs no constructor at boot.
class ABSL_LOCKABLE SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Disables interrupts and preemption, then spins until the lock is free.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION();
  // Like Lock() but gives up at once; true if acquired.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true);
  // Releases the lock, restores the interrupt state Lock() found and
  // re-enables preemption (a preemption point if a reschedule is pending).
  // Panics if the lock is free (nobody holds it) or was taken on another CPU.
  void Unlock() ABSL_UNLOCK_FUNCTION();

  // True if some CPU holds the lock at the moment of the read: a racy snapshot
  // for assertions and diagnostics, never for deciding whether to take it.
  bool is_locked() const { return locked_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> locked_{false};
  bool irq_was_enabled_ = false;
  bool preempt_disabled_ = false;  // Lock() raised the preempt count
  uint32_t owner_cpu_ = 0;         // the holder's CPU, when preempt_disabled_
};

// Holds a SpinLock for its scope: locks in the constructor, unlocks in the
// destructor. Not copyable or movable. The lock must outlive the guard. A
// local variable only (OSTD_SCOPED_GUARD).
class OSTD_SCOPED_GUARD ABSL_SCOPED_LOCKABLE SpinLockGuard final {
 public:
  // Calls lock.Lock() (disabling interrupts and preemption; see SpinLock).
  explicit SpinLockGuard(SpinLock& lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock) : lock_(lock) {
    lock_.Lock();
  }
  ~SpinLockGuard() ABSL_UNLOCK_FUNCTION() { lock_.Unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace ostd

#endif  // OSTD_SYNC_H_
