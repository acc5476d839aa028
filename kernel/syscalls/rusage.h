// struct rusage and struct tms as the system calls fill them from CpuTimes
// (getrusage, wait4, waitid, times). Only the CPU times are accounted; the
// other rusage fields stay 0.
#ifndef KERNEL_SYSCALLS_RUSAGE_H_
#define KERNEL_SYSCALLS_RUSAGE_H_

#include <array>
#include <cstdint>

#include "kernel/process/process.h"
#include "ostd/pod.h"

namespace kernel {

struct Rusage {
  int64_t utime_sec, utime_usec, stime_sec, stime_usec;
  std::array<int64_t, 14> rest;  // maxrss .. nivcsw
  OSTD_POD(Rusage, utime_sec, utime_usec, stime_sec, stime_usec, rest);
};
static_assert(sizeof(Rusage) == 144);

inline Rusage RusageOf(const CpuTimes& t) {
  constexpr uint64_t kNsPerUs = 1000, kUsPerSec = 1'000'000;
  uint64_t user_us = t.user_ns / kNsPerUs;
  uint64_t sys_us = t.sys_ns / kNsPerUs;
  return Rusage{.utime_sec = static_cast<int64_t>(user_us / kUsPerSec),
                .utime_usec = static_cast<int64_t>(user_us % kUsPerSec),
                .stime_sec = static_cast<int64_t>(sys_us / kUsPerSec),
                .stime_usec = static_cast<int64_t>(sys_us % kUsPerSec),
                .rest = {}};
}

// Clock ticks (USER_HZ, 100 per second) for times(2) and /proc/<pid>/stat.
inline int64_t ClockTicks(uint64_t ns) { return static_cast<int64_t>(ns / 10'000'000); }

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_RUSAGE_H_
