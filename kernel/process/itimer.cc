#include "kernel/process/itimer.h"

#include <algorithm>
#include <atomic>

#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"

namespace kernel {
namespace {

// Bumped whenever a timer is armed, so the task re-computes its sleep.
std::atomic<uint64_t> generation{0};
ostd::WaitQueue rearmed;

// Fires due timers; returns the earliest remaining deadline (0: none).
uint64_t FireDue(uint64_t now) {
  uint64_t next = 0;
  ostd::SpinLockGuard guard(TreeLock());
  for (Process* p : process_internal::AllProcesses()) {
    if (p->alarm_at_ns == 0 || p->thread_count() == 0) continue;
    if (p->alarm_at_ns <= now) {
      p->SendSignal(kSigAlrm, SigInfo{.code = kSiKernel});
      p->alarm_at_ns = p->alarm_interval_ns == 0 ? 0 : now + p->alarm_interval_ns;
    }
    if (p->alarm_at_ns != 0) next = next == 0 ? p->alarm_at_ns : std::min(next, p->alarm_at_ns);
  }
  return next;
}

void TimerTask() {
  for (;;) {
    uint64_t seen = generation.load(std::memory_order_acquire);
    uint64_t next = FireDue(MonotonicNs());
    if (next == 0) {
      rearmed.Wait([&] { return generation.load(std::memory_order_acquire) != seen; });
      continue;
    }
    // Sleep to the deadline, but notice a newly armed earlier one within 10 ms.
    uint64_t now = MonotonicNs();
    if (next > now) ostd::SleepFor(std::min<uint64_t>(next - now, 10'000'000));
  }
}

}  // namespace

ostd::Status StartRealTimers() {
  ostd::Result<ostd::TaskRef> task = ostd::Spawn(TimerTask, ostd::TaskOptions().name("itimer"));
  if (!task) return ostd::Err(task.error());
  return {};
}

RealTimer SetRealTimer(Process& p, uint64_t delay_ns, uint64_t interval_ns) {
  RealTimer old;
  {
    ostd::SpinLockGuard guard(TreeLock());
    uint64_t now = MonotonicNs();
    if (p.alarm_at_ns != 0) old.remaining_ns = p.alarm_at_ns > now ? p.alarm_at_ns - now : 1;
    old.interval_ns = p.alarm_interval_ns;
    p.alarm_at_ns = delay_ns == 0 ? 0 : now + delay_ns;
    p.alarm_interval_ns = delay_ns == 0 ? 0 : interval_ns;
  }
  generation.fetch_add(1, std::memory_order_release);
  rearmed.WakeAll();
  return old;
}

RealTimer GetRealTimer(Process& p) {
  ostd::SpinLockGuard guard(TreeLock());
  uint64_t now = MonotonicNs();
  RealTimer t;
  if (p.alarm_at_ns != 0) t.remaining_ns = p.alarm_at_ns > now ? p.alarm_at_ns - now : 1;
  t.interval_ns = p.alarm_interval_ns;
  return t;
}

}  // namespace kernel
