// Interval timers, served by one kernel task. ITIMER_REAL: SIGALRM after a
// delay of wall time (alarm, setitimer); the task sleeps until the earliest
// armed deadline. ITIMER_VIRTUAL (user CPU time, SIGVTALRM) and ITIMER_PROF
// (user and system CPU time, SIGPROF): while one is armed anywhere the task
// checks the processes' CPU times every 4 ms, so these fire within a few ms
// of their CPU-time deadline.
#ifndef KERNEL_PROCESS_ITIMER_H_
#define KERNEL_PROCESS_ITIMER_H_

#include <cstdint>

#include "ostd/result.h"

namespace kernel {

class Process;

// Starts the timer task. Call once at boot.
ostd::Status StartRealTimers();

struct RealTimer {
  uint64_t remaining_ns = 0;  // 0: disarmed
  uint64_t interval_ns = 0;
};
// Arms (delay > 0) or disarms (0) `p`'s real timer; returns the old setting.
RealTimer SetRealTimer(Process& p, uint64_t delay_ns, uint64_t interval_ns);
RealTimer GetRealTimer(Process& p);

// Wakes the timer task to look at newly armed timers (posix_timer.cc).
void RearmTimerTask();

enum class CpuClock : uint8_t { kVirtual, kProf };
// The same for the CPU-time timers (`delay_ns` of CPU time from now).
RealTimer SetCpuTimer(Process& p, CpuClock clock, uint64_t delay_ns, uint64_t interval_ns);
RealTimer GetCpuTimer(Process& p, CpuClock clock);

}  // namespace kernel

#endif  // KERNEL_PROCESS_ITIMER_H_
