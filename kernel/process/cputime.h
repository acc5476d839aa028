// Splitting a task's CPU time into user and system time (pure logic, shared
// by the kernel and its host test). ostd measures a task's total CPU time
// exactly and samples which mode each timer tick found it in; the split
// follows Linux's cputime_adjust: the total divided in the ratio of the
// tick counts, and never below what an earlier read reported for either
// part, so both times only grow.
#ifndef KERNEL_PROCESS_CPUTIME_H_
#define KERNEL_PROCESS_CPUTIME_H_

#include <cstdint>

namespace kernel {

struct CpuSplit {
  uint64_t user_ns = 0;
  uint64_t sys_ns = 0;
};

// The split of `total_ns` given `user_ticks` and `sys_ticks`, and `prev`,
// what the last call returned for the same task (zeros at first). A task
// no tick has seen yet counts as all user time, as on Linux. When the total
// has not grown past prev's sum, returns prev.
CpuSplit AdjustCpuSplit(uint64_t total_ns, uint64_t user_ticks, uint64_t sys_ticks, CpuSplit prev);

}  // namespace kernel

#endif  // KERNEL_PROCESS_CPUTIME_H_
