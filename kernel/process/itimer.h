// ITIMER_REAL: SIGALRM after a delay (alarm, setitimer), served by one kernel
// task that sleeps until the earliest armed deadline.
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

}  // namespace kernel

#endif  // KERNEL_PROCESS_ITIMER_H_
