// Futexes: user-space words that threads sleep on and wake, keyed as Linux
// keys them (AddressSpace::FutexKeyOf): private futexes by (address space,
// address), shared ones in a MAP_SHARED mapping by (backing object, offset),
// so a wake from another process or another mapping finds the waiter.
//
// `shared` below is the absence of FUTEX_PRIVATE_FLAG. Counts follow Linux's
// int arithmetic (the caller passes them as Linux would see them).
#ifndef KERNEL_PROCESS_FUTEX_H_
#define KERNEL_PROCESS_FUTEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ostd/result.h"

namespace kernel {

class AddressSpace;
class Thread;

// The futex word bits of robust and PI futexes.
inline constexpr uint32_t kFutexWaiters = 0x80000000u;
inline constexpr uint32_t kFutexOwnerDied = 0x40000000u;
inline constexpr uint32_t kFutexTidMask = 0x3fffffffu;

// Sleeps while the 32-bit word at `uaddr` (4-byte aligned, in `self`'s
// space) equals `expected` and no wake matching `bitset` came, until
// `deadline_ns` (ostd::timer::NowNanos clock; nullopt: forever). EAGAIN if the
// value differs, ETIMEDOUT, EINTR, EFAULT, EINVAL (misaligned, bitset 0).
ostd::Status FutexWait(Thread& self, uint64_t uaddr, bool shared, uint32_t expected,
                       uint32_t bitset, std::optional<uint64_t> deadline_ns);
// Wakes waiters on `uaddr` whose bitset intersects `bitset`: up to `count`,
// and at least one, as Linux's futex_wake. Returns how many woke. EINVAL
// (misaligned, bitset 0), EFAULT (shared, and nothing mapped there).
ostd::Result<int> FutexWake(AddressSpace& mm, uint64_t uaddr, bool shared, int count,
                            uint32_t bitset = ~0u);
// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to `wake` waiters on `uaddr`
// and moves up to `requeue` others to `uaddr2`; with `cmp`, first checks
// (atomically with respect to waiters) that the word at `uaddr` equals *cmp
// (EAGAIN otherwise). Returns the number woken plus moved. EINVAL for a
// negative count or a misaligned address, EFAULT.
ostd::Result<int> FutexRequeue(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, bool shared,
                               int wake, int requeue, std::optional<uint32_t> cmp);
// FUTEX_WAKE_OP: atomically applies `encoded_op`'s operation to the word at
// `uaddr2`, wakes up to `wake` waiters on `uaddr` and, if the old value of
// the `uaddr2` word passes `encoded_op`'s comparison, up to `wake2` waiters on
// `uaddr2`. Returns the total woken. ENOSYS for an unknown operation or
// comparison, EFAULT, EINVAL.
ostd::Result<int> FutexWakeOp(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, bool shared,
                              int wake, int wake2, uint32_t encoded_op);

// One futex of a futex_waitv call: the word's address, the value it must
// hold, and whether it is shared (no FUTEX2_PRIVATE).
struct FutexWaitvEntry {
  uint64_t uaddr = 0;
  uint64_t val = 0;
  bool shared = true;
};
inline constexpr size_t kFutexWaitvMax = 128;  // Linux's FUTEX_WAITV_MAX

// futex_waitv: sleeps on every entry's word at once (each must hold its
// value, else EAGAIN) until one is woken; returns its index. EINVAL (no
// entries, more than kFutexWaitvMax, a misaligned word), EFAULT,
// ETIMEDOUT, EINTR, ENOMEM.
ostd::Result<int> FutexWaitv(Thread& self, std::span<const FutexWaitvEntry> entries,
                             std::optional<uint64_t> deadline_ns);

// Priority-inheritance futexes (FUTEX_LOCK_PI, FUTEX_LOCK_PI2,
// FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI): the word holds the owner's tid, with
// FUTEX_WAITERS while someone waits in the kernel and FUTEX_OWNER_DIED after
// an owner exited holding it. Keel's scheduler has no priorities to lend, so
// no priority is inherited: these are the lock's semantics without the
// boost.
//
// FutexLockPi takes the lock for `self` (word 0, or only FUTEX_OWNER_DIED or
// FUTEX_WAITERS: take it; held: set FUTEX_WAITERS and sleep until an unlock
// hands it over, until `deadline_ns` or a signal). With `trylock` a held lock
// is EAGAIN. EDEADLK if `self` holds it, ESRCH if the word names no thread,
// ETIMEDOUT, EINTR, EFAULT, EINVAL.
ostd::Status FutexLockPi(Thread& self, uint64_t uaddr, bool shared,
                         std::optional<uint64_t> deadline_ns, bool trylock);
// Releases a PI futex `self` holds: the first waiter becomes the owner (its
// tid | FUTEX_WAITERS) and is woken; with none the word becomes 0. EPERM if
// the word does not name `self`, EFAULT, EINVAL.
ostd::Status FutexUnlockPi(Thread& self, uint64_t uaddr, bool shared);
// Tells PI waiters whose owner `tid` exited: they take the lock over with
// FUTEX_OWNER_DIED (Linux's exit_pi_state_list). Called by exiting threads.
void FutexOwnerExited(uint32_t tid);

// The robust-futex cleanup of an exiting thread (Linux's exit_robust_list):
// walks the list registered with set_robust_list in its own address space
// and, for each futex the thread still owns, sets FUTEX_OWNER_DIED (keeping
// FUTEX_WAITERS) and wakes one waiter. Faults and loops end the walk.
void ExitRobustList(Thread& self);

}  // namespace kernel

#endif  // KERNEL_PROCESS_FUTEX_H_
