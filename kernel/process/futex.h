// Futexes: user-space words that threads sleep on (FUTEX_WAIT) and wake
// (FUTEX_WAKE), keyed by address space and address.
#ifndef KERNEL_PROCESS_FUTEX_H_
#define KERNEL_PROCESS_FUTEX_H_

#include <cstdint>
#include <optional>

#include "ostd/result.h"

namespace kernel {

class AddressSpace;
class Thread;

// Sleeps while the 32-bit word at `uaddr` (4-byte aligned, in `self`'s
// space) equals `expected` and `bitset` is not woken, until `deadline_ns`
// (ostd::timer::NowNanos clock; nullopt: forever). EAGAIN if the value
// differs, ETIMEDOUT, EINTR, EFAULT, EINVAL.
ostd::Status FutexWait(Thread& self, uint64_t uaddr, uint32_t expected, uint32_t bitset,
                       std::optional<uint64_t> deadline_ns);
// Wakes up to `count` waiters on `uaddr` whose bitset intersects `bitset`.
// Returns how many woke.
int FutexWake(AddressSpace& mm, uint64_t uaddr, int count, uint32_t bitset = ~0u);
// Wakes up to `wake` waiters on `uaddr` and moves up to `requeue` others to
// `uaddr2`. Returns the number woken plus requeued (FUTEX_CMP_REQUEUE's
// value check is done by the caller).
int FutexRequeue(AddressSpace& mm, uint64_t uaddr, uint64_t uaddr2, int wake, int requeue);

}  // namespace kernel

#endif  // KERNEL_PROCESS_FUTEX_H_
