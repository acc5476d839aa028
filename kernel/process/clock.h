// The kernel's clocks: CLOCK_MONOTONIC from ostd's timer, CLOCK_REALTIME as
// that plus the wall-clock time at boot (from the RTC), settable by root.
#ifndef KERNEL_PROCESS_CLOCK_H_
#define KERNEL_PROCESS_CLOCK_H_

#include <cstdint>

namespace kernel {

// Records the wall-clock time (Unix seconds) at the current monotonic time.
void SetRealtime(uint64_t unix_ns);
uint64_t MonotonicNs();
uint64_t RealtimeNs();
// RealtimeNs() - MonotonicNs(), exactly (the vDSO adds it in user mode).
uint64_t RealtimeOffsetNs();

}  // namespace kernel

#endif  // KERNEL_PROCESS_CLOCK_H_
