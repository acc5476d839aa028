// A relative timeout argument (struct timespec*, NULL for none) as a
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

inline ostd::Result<std::optional<uint64_t>> RelativeDeadline(uint64_t timespec_addr) {
  struct UserTimespec {
    int64_t sec;
    int64_t nsec;
    OSTD_POD(UserTimespec, sec, nsec);
  };
  if (timespec_addr == 0) return std::optional<uint64_t>();
  OSTD_TRY_ASSIGN(UserTimespec ts,
                  ostd::vm::CopyFromUser(ostd::vm::UserPtr<UserTimespec>(timespec_addr)));
  OSTD_TRY_ASSIGN(uint64_t ns, file_abi::TimespecNs(ts.sec, ts.nsec));
  return std::optional<uint64_t>(file_abi::DeadlineAfter(ostd::timer::NowNanos(), ns));
}

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_TIMEOUT_H_
