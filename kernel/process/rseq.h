// Restartable sequences (rseq(2), Linux 6.1's ABI): a thread registers a
// 32-byte struct rseq in which the kernel keeps cpu_id_start and cpu_id
// current, and whose rseq_cs names a critical section that is restarted at
// its abort address when the thread is preempted, migrated, interrupted by a
// signal or by a fault while inside it. glibc registers one for every
// thread; its sched_getcpu then reads cpu_id without a system call.
#ifndef KERNEL_PROCESS_RSEQ_H_
#define KERNEL_PROCESS_RSEQ_H_

#include <cstdint>

#include "kernel/process/process.h"
#include "ostd/result.h"

namespace kernel {

// Linux 6.1's sizeof(struct rseq) and its alignment.
inline constexpr uint32_t kRseqLen = 32;
// rseq flags: RSEQ_FLAG_UNREGISTER.
inline constexpr int32_t kRseqFlagUnregister = 1;

// rseq(addr, len, flags, sig) for `self`, with Linux's errors: EINVAL (bad
// length, alignment or flags; unregistering what is not registered), EPERM
// (another signature), EBUSY (already registered), EFAULT (not user memory).
ostd::Result<uint64_t> RseqSyscall(Thread& self, uint64_t addr, uint32_t len, int32_t flags,
                                   uint32_t sig);

// Before the thread enters user mode: writes cpu_id_start and cpu_id when
// the thread runs on another CPU than last written (or was just
// registered). A failed write is SIGSEGV, as Linux's.
void RseqBeforeUser(Thread& t);

// After the thread was interrupted in user mode (an interrupt, a fault, a
// signal to deliver): if its instruction pointer lies in the critical
// section rseq_cs names, moves it to the section's abort address; clears
// rseq_cs either way. A malformed rseq_cs (or a signature that does not
// match) is SIGSEGV, as Linux's.
void RseqInterrupted(Thread& t);

}  // namespace kernel

#endif  // KERNEL_PROCESS_RSEQ_H_
