#include "kernel/process/itimer.h"

#include <algorithm>
#include <atomic>

#include "kernel/process/clock.h"
#include "kernel/process/posix_timer.h"
#include "kernel/process/process.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"

namespace kernel {
namespace {

// Bumped whenever a timer is armed, so the task re-computes its sleep.
std::atomic<uint64_t> generation{0};
ostd::WaitQueue rearmed;

constexpr int kSigVtalrm = 26, kSigProf = 27;
// How often armed CPU-time timers are checked.
constexpr uint64_t kCpuTimerPollNs = 4'000'000;

// The CPU time a timer of `clock` counts.
uint64_t CpuNow(const CpuTimes& t, CpuClock clock) {
  return clock == CpuClock::kVirtual ? t.user_ns : t.user_ns + t.sys_ns;
}

// Fires a CPU-time timer of `p` if due (TreeLock held).
void FireCpuTimer(Process& p, uint64_t& at, uint64_t interval, uint64_t cpu_now, int sig)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  if (at == 0 || cpu_now < at) return;
  p.SendSignal(sig, SigInfo{.code = kSiKernel});
  at = interval == 0 ? 0 : cpu_now + interval;
}

// Fires due timers; returns the earliest remaining deadline (0: none).
uint64_t FireDue(uint64_t now) {
  uint64_t next = 0;
  ostd::SpinLockGuard guard(TreeLock());
  for (const ostd::Box<Process>& p : process_internal::AllProcesses()) {
    if (p->thread_count() == 0) continue;
    if (p->virt_at_ns != 0 || p->prof_at_ns != 0) {
      CpuTimes t = p->SelfTimesLocked();
      FireCpuTimer(*p, p->virt_at_ns, p->virt_interval_ns, CpuNow(t, CpuClock::kVirtual),
                   kSigVtalrm);
      FireCpuTimer(*p, p->prof_at_ns, p->prof_interval_ns, CpuNow(t, CpuClock::kProf), kSigProf);
      if (p->virt_at_ns != 0 || p->prof_at_ns != 0) {
        next = next == 0 ? now + kCpuTimerPollNs : std::min(next, now + kCpuTimerPollNs);
      }
    }
    if (uint64_t at = FirePosixTimersLocked(*p, now); at != 0) {
      next = next == 0 ? at : std::min(next, at);
    }
    if (p->alarm_at_ns == 0) continue;
    if (p->alarm_at_ns <= now) {
      p->SendSignal(kSigAlrm, SigInfo{.code = kSiKernel});
      p->alarm_at_ns = p->alarm_interval_ns == 0 ? 0 : now + p->alarm_interval_ns;
    }
    if (p->alarm_at_ns != 0) next = next == 0 ? p->alarm_at_ns : std::min(next, p->alarm_at_ns);
  }
  return next;
}

void Rearmed() {
  generation.fetch_add(1, std::memory_order_release);
  rearmed.WakeAll();
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

void RearmTimerTask() { Rearmed(); }

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
  Rearmed();
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

RealTimer SetCpuTimer(Process& p, CpuClock clock, uint64_t delay_ns, uint64_t interval_ns) {
  RealTimer old;
  {
    ostd::SpinLockGuard guard(TreeLock());
    uint64_t now = CpuNow(p.SelfTimesLocked(), clock);
    uint64_t& at = clock == CpuClock::kVirtual ? p.virt_at_ns : p.prof_at_ns;
    uint64_t& interval = clock == CpuClock::kVirtual ? p.virt_interval_ns : p.prof_interval_ns;
    if (at != 0) old.remaining_ns = at > now ? at - now : 1;
    old.interval_ns = interval;
    at = delay_ns == 0 ? 0 : now + delay_ns;
    interval = delay_ns == 0 ? 0 : interval_ns;
  }
  Rearmed();
  return old;
}

RealTimer GetCpuTimer(Process& p, CpuClock clock) {
  ostd::SpinLockGuard guard(TreeLock());
  uint64_t now = CpuNow(p.SelfTimesLocked(), clock);
  uint64_t at = clock == CpuClock::kVirtual ? p.virt_at_ns : p.prof_at_ns;
  RealTimer t;
  if (at != 0) t.remaining_ns = at > now ? at - now : 1;
  t.interval_ns = clock == CpuClock::kVirtual ? p.virt_interval_ns : p.prof_interval_ns;
  return t;
}

}  // namespace kernel
