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
class PidNamespace;

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
// (misaligned, bitset 0, or a PI or FUTEX_WAIT_REQUEUE_PI waiter on the
// word, which only the PI operations may wake), EFAULT (shared, and nothing
// mapped there).
ostd::Result<int> FutexWake(AddressSpace& mm, uint64_t uaddr, bool shared, int count,
                            uint32_t bitset = ~0u);
// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to `wake` waiters on `uaddr`
// and moves up to `requeue` others to `uaddr2`; with `cmp`, first checks
// (atomically with respect to waiters) that the word at `uaddr` equals *cmp
// (EAGAIN otherwise). Returns the number woken plus moved. EINVAL for a
// negative count, a misaligned address or a PI-only waiter met (see
// FutexWake), EFAULT.
ostd::Result<int> FutexRequeue(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, bool shared,
                               int wake, int requeue, std::optional<uint32_t> cmp);
// FUTEX_WAKE_OP: atomically applies `encoded_op`'s operation to the word at
// `uaddr2`, wakes up to `wake` waiters on `uaddr` and, if the old value of
// the `uaddr2` word passes `encoded_op`'s comparison, up to `wake2` waiters on
// `uaddr2`. Returns the total woken. ENOSYS for an unknown operation or
// comparison, EFAULT, EINVAL (also for a PI-only waiter, see FutexWake).
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
// FUTEX_WAIT_REQUEUE_PI: sleeps on the non-PI word at `uaddr` (it must hold
// `expected`, else EAGAIN) until a FutexCmpRequeuePi moves `self` to the PI
// futex at `uaddr2`, then until `self` owns that lock; returns once it does.
// Ends with ETIMEDOUT at `deadline_ns`. A signal before the requeue is
// EINTR restarted whatever SA_RESTART says; one after it is EAGAIN (the
// caller must take the lock itself). EINVAL (same word twice, misaligned),
// EFAULT.
ostd::Status FutexWaitRequeuePi(Thread& self, uint64_t uaddr, uint32_t expected, uint64_t uaddr2,
                                bool shared, std::optional<uint64_t> deadline_ns);
// FUTEX_CMP_REQUEUE_PI: if the word at `uaddr` still equals `cmp` (else
// EAGAIN), takes the PI lock at `uaddr2` for the first waiter if it is free
// and wakes it, then makes up to `requeue` further waiters (the first one
// too if the lock is held) PI waiters on `uaddr2`, setting FUTEX_WAITERS.
// Returns how many were woken or moved. EINVAL if `wake` is not 1, a count
// is negative, both words are one, or a waiter on `uaddr` is not a
// FUTEX_WAIT_REQUEUE_PI waiter bound for `uaddr2`; EDEADLK if the first
// waiter owns `uaddr2`; ESRCH if its owner does not exist; EFAULT.
// Owner tids in the word are numbers in `ns`, the caller's pid namespace.
ostd::Result<int> FutexCmpRequeuePi(AddressSpace& mm, const PidNamespace& ns, uint64_t uaddr,
                                    uint64_t uaddr2, bool shared, int wake, int requeue,
                                    uint32_t cmp);
// Tells PI waiters whose owner `t` exited: they take the lock over with
// FUTEX_OWNER_DIED (Linux's exit_pi_state_list). Called by exiting threads.
void FutexOwnerExited(const Thread& t);

// The robust-futex cleanup of an exiting thread (Linux's exit_robust_list):
// walks the list registered with set_robust_list in its own address space
// and, for each futex the thread still owns, sets FUTEX_OWNER_DIED (keeping
// FUTEX_WAITERS) and wakes one waiter. Faults and loops end the walk.
void ExitRobustList(Thread& self);

}  // namespace kernel

#endif  // KERNEL_PROCESS_FUTEX_H_
