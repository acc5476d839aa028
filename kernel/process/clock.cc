#include "kernel/process/clock.h"

#include <atomic>

#include "kernel/process/vdso.h"
#include "ostd/timer.h"

namespace kernel {
namespace {

// Realtime minus monotonic, in nanoseconds.
std::atomic<uint64_t> realtime_offset{0};

}  // namespace

void SetRealtime(uint64_t unix_ns) {
  realtime_offset.store(unix_ns - ostd::timer::NowNanos(), std::memory_order_relaxed);
  VdsoClockChanged();
}

uint64_t MonotonicNs() { return ostd::timer::NowNanos(); }

uint64_t RealtimeOffsetNs() { return realtime_offset.load(std::memory_order_relaxed); }

uint64_t RealtimeNs() {
  return ostd::timer::NowNanos() + realtime_offset.load(std::memory_order_relaxed);
}

}  // namespace kernel
