// A relative timeout argument (struct __kernel_timespec*, NULL for none) as a
// deadline on the ostd::timer::NowNanos clock, with file_abi's checks
// (EINVAL for a negative or out-of-range value; saturating) and EFAULT.
#ifndef KERNEL_SYSCALLS_TIMEOUT_H_
#define KERNEL_SYSCALLS_TIMEOUT_H_

#include <cstdint>
#include <optional>

#include "kernel/syscalls/file_abi.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

// struct __kernel_timespec, as a timeout argument points to it.
struct KernelTimespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(KernelTimespec, sec, nsec);
};

inline ostd::Result<std::optional<uint64_t>> RelativeDeadline(
    ostd::vm::UserInPtr<KernelTimespec> timeout) {
  if (timeout.is_null()) return std::optional<uint64_t>();
  OSTD_TRY_ASSIGN(KernelTimespec ts, ostd::vm::CopyFromUser(timeout));
  OSTD_TRY_ASSIGN(uint64_t ns, file_abi::TimespecNs(ts.sec, ts.nsec));
  return std::optional<uint64_t>(file_abi::DeadlineAfter(ostd::timer::NowNanos(), ns));
}

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_TIMEOUT_H_
