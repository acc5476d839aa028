// HitLock: the lock a probe hit takes on its fast path (the CPU's trace ring,
// a kretprobe event's return-site cache). A hit only tries it and, finding
// it held, does without what it guards: its record is dropped and counted as
// lost, or the cache is not used. Trying costs one exchange, with none of a
// SpinLock's interrupt and preemption bookkeeping, which is what every hit
// would otherwise pay.
//
// Probe handlers run with interrupts off, so a hit never holds it across a
// task switch. Code that must have it (tracefs readers of a ring) waits with
// interrupts off, through HitLockWaitGuard: a holder is then never preempted
// while another CPU spins. Holders do bounded work.
#ifndef KERNEL_TRACING_HIT_LOCK_H_
#define KERNEL_TRACING_HIT_LOCK_H_

#include <atomic>

#include "absl/base/thread_annotations.h"

#include "ostd/panic.h"
#include "ostd/sync.h"

namespace kernel::tracing {

class ABSL_LOCKABLE HitLock {
 public:
  // True if this call took the lock. Interrupts must be off while it is
  // held (as they are in a probe handler).
  // (try_acquire_capability is the checking attribute that
  // ABSL_EXCLUSIVE_TRYLOCK_FUNCTION spells the older way.)
  bool TryLock() __attribute__((try_acquire_capability(true))) {
    return !held_.exchange(true, std::memory_order_acquire);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { held_.store(false, std::memory_order_release); }
  // Held by someone now (a snapshot, for waiting without writing the line).
  bool held() const { return held_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> held_{false};
};

// Holds `lock` for its scope, waiting for it; interrupts must already be
// off (an ostd::IrqGuard declared just before it, kept until after it):
//
//   ostd::IrqGuard irq;
//   HitLockWaitGuard g(ring.lock);
//
// Waiting with interrupts on is a kernel bug (a preempted holder could leave
// a waiter on its own CPU spinning forever) and panics.
class ABSL_SCOPED_LOCKABLE HitLockWaitGuard {
 public:
  explicit HitLockWaitGuard(HitLock& lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock) : lock_(lock) {
    if (ostd::InterruptsEnabled()) OSTD_PANIC("HitLockWaitGuard with interrupts on");
    while (lock_.held() || !lock_.TryLock()) {
    }
  }
  ~HitLockWaitGuard() ABSL_UNLOCK_FUNCTION() { lock_.Unlock(); }
  HitLockWaitGuard(const HitLockWaitGuard&) = delete;
  HitLockWaitGuard& operator=(const HitLockWaitGuard&) = delete;

 private:
  HitLock& lock_;
};

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_HIT_LOCK_H_
