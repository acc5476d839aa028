// The kernel's clocks: CLOCK_MONOTONIC from ostd's timer, CLOCK_REALTIME as
// that plus the wall-clock time at boot (from the RTC), settable by root.
#ifndef KERNEL_PROCESS_CLOCK_H_
#define KERNEL_PROCESS_CLOCK_H_

#include <cstdint>
#include <optional>

namespace kernel {

// Linux's clock ids (include/uapi/linux/time.h).
inline constexpr int kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
                     kClockThreadCputime = 3, kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5,
                     kClockMonotonicCoarse = 6, kClockBoottime = 7, kClockRealtimeAlarm = 8,
                     kClockBoottimeAlarm = 9, kClockTai = 11;

// A CPU-time clock named by a negative clock id (Linux's
// MAKE_PROCESS_CPUCLOCK / MAKE_THREAD_CPUCLOCK, which glibc's timer_create
// and pthread_getcpuclockid use): a process's or a thread's CPU time, of
// the kind `which` says. `pid` 0 is the caller.
struct CpuClockId {
  enum Which : int { kProf = 0, kVirt = 1, kSched = 2 };  // user+system, user, user+system
  bool thread = false;
  int pid = 0;
  Which which = kSched;
};
// Decodes such an id; nullopt for a non-negative one or an invalid kind
// (3, Linux's CPUCLOCK_MAX).
constexpr std::optional<CpuClockId> DecodeCpuClock(int clock) {
  if (clock >= 0 || (clock & 3) == 3) return std::nullopt;
  return CpuClockId{.thread = (clock & 4) != 0,
                    .pid = ~(clock >> 3),  // an arithmetic shift, as Linux's CPUCLOCK_PID
                    .which = static_cast<CpuClockId::Which>(clock & 3)};
}

// Records the wall-clock time (Unix seconds) at the current monotonic time.
void SetRealtime(uint64_t unix_ns);
uint64_t MonotonicNs();
uint64_t RealtimeNs();
// RealtimeNs() - MonotonicNs(), exactly (the vDSO adds it in user mode).
uint64_t RealtimeOffsetNs();

}  // namespace kernel

#endif  // KERNEL_PROCESS_CLOCK_H_
