// Pure rules of System V semaphores (semop's all-or-nothing application and
// Linux's limits), shared by sysv_sem.cc and host tests.
#ifndef KERNEL_SYSCALLS_SEM_ABI_H_
#define KERNEL_SYSCALLS_SEM_ABI_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "ostd/pod.h"
#include "ostd/result.h"

namespace kernel::sem_abi {

// Linux's defaults: semaphores per set, operations per semop, largest value,
// number of sets.
inline constexpr int kSemMsl = 32000;
inline constexpr size_t kSemOpm = 500;
inline constexpr int kSemVmx = 32767;
inline constexpr int kSemMni = 32000;

inline constexpr int16_t kIpcNowait = 04000;
inline constexpr int16_t kSemUndo = 0x1000;

// struct sembuf.
struct SemBuf {
  uint16_t sem_num;
  int16_t sem_op;
  int16_t sem_flg;
  OSTD_POD(SemBuf, sem_num, sem_op, sem_flg);
};
static_assert(sizeof(SemBuf) == 6);

// What a semop would do now.
struct SemAttempt {
  bool applied = false;  // every operation took effect
  // When not applied: the operation that must wait, and whether it waits
  // for zero (semzcnt) or for the value to grow (semncnt).
  size_t blocked_at = 0;
  bool waits_for_zero = false;
};

// Applies `ops` to `vals` as one atomic step: all of them, or (when one
// would have to wait) none. EFBIG if an operation names a semaphore past
// the set; ERANGE if a value would exceed kSemVmx.
ostd::Result<SemAttempt> SemApply(std::span<uint16_t> vals, std::span<const SemBuf> ops);

}  // namespace kernel::sem_abi

#endif  // KERNEL_SYSCALLS_SEM_ABI_H_
