#include "kernel/process/cputime.h"

namespace kernel {

CpuSplit AdjustCpuSplit(uint64_t total_ns, uint64_t user_ticks, uint64_t sys_ticks, CpuSplit prev) {
  if (prev.user_ns + prev.sys_ns >= total_ns) return prev;
  uint64_t sys = 0;
  if (sys_ticks != 0) {
    // total * sys / (user + sys) in 64 bits: with the tick counts below 2^32
    // (halved together past that: 198 days of ticks at 250 Hz, a ratio
    // unchanged but for rounding), q * sys + r * sys / d is exact.
    while (user_ticks + sys_ticks >= (uint64_t{1} << 32)) {
      user_ticks >>= 1;
      sys_ticks >>= 1;
    }
    // d >= 1: d >= sys_ticks unhalved, and halving leaves 2^31 - 1 or more.
    uint64_t d = user_ticks + sys_ticks;
    sys = total_ns / d * sys_ticks + total_ns % d * sys_ticks / d;
  }
  if (sys < prev.sys_ns) sys = prev.sys_ns;
  uint64_t user = total_ns - sys;
  if (user < prev.user_ns) {
    user = prev.user_ns;
    sys = total_ns - user;
  }
  return CpuSplit{.user_ns = user, .sys_ns = sys};
}

}  // namespace kernel
