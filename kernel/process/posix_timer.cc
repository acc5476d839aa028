#include "kernel/process/posix_timer.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "kernel/process/clock.h"
#include "kernel/process/itimer.h"
#include "kernel/process/process.h"
#include "kernel/process/signal.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

// How often a CPU-time timer is checked while armed (as ITIMER_PROF).
constexpr uint64_t kCpuPollNs = 4'000'000;

bool OnCpuClock(const PosixTimer& t) {
  return t.clock == kClockProcessCputime || t.clock == kClockThreadCputime;
}

// The thread whose CPU clock `t` runs on, if it still exists in `p`.
Thread* ClockThreadLocked(Process& p, const PosixTimer& t)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  Thread* th = FindThreadLocked(t.clock_tid);
  return th != nullptr && &th->process() == &p ? th : nullptr;
}

// The timer's clock now (TreeLock held). A thread's clock stops with the
// thread (FirePosixTimersLocked then disarms the timer, as Linux's
// cleanup_timers).
uint64_t ClockNowLocked(Process& p, const PosixTimer& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  if (!OnCpuClock(t)) return MonotonicNs();
  CpuTimes c{};
  if (t.clock == kClockProcessCputime) {
    c = p.SelfTimesLocked();
  } else if (Thread* th = ClockThreadLocked(p, t)) {
    c = th->cpu_times();
  }
  return t.user_time_only ? c.user_ns : c.user_ns + c.sys_ns;
}

PosixTimer* FindLocked(Process& p, int32_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  for (PosixTimer& t : p.posix_timers) {
    if (t.used && t.id == id) return &t;
  }
  return nullptr;
}

int32_t ClampOverrun(uint64_t n) {
  return static_cast<int32_t>(std::min<uint64_t>(n, std::numeric_limits<int32_t>::max()));
}

// Moves a periodic timer's expiry past `now`; returns the periods skipped
// beyond the first (Linux's hrtimer_forward() - 1).
uint64_t Forward(PosixTimer& t, uint64_t now) {
  if (t.interval_ns == 0 || now < t.at_ns) return 0;
  uint64_t missed = (now - t.at_ns) / t.interval_ns;
  t.at_ns += (missed + 1) * t.interval_ns;
  return missed;
}

// True if `t`'s signal is still queued (to the process or its thread).
bool SignalQueuedLocked(Process& p, const PosixTimer& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  if (p.pending.HasTimerSignal(t.id)) return true;
  Thread* target = t.tid != 0 ? FindThreadLocked(t.tid) : nullptr;
  return target != nullptr && &target->process() == &p &&
         target->pending_queue().HasTimerSignal(t.id);
}

// Sends `t`'s signal; false if it was not queued: dropped (ignored), its
// thread is gone, or the same standard signal was pending already.
bool SendLocked(Process& p, const PosixTimer& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  // Queued at most once (Linux's send_sigqueue: the one preallocated entry).
  if (SignalQueuedLocked(p, t)) return true;
  SigInfo info{.code = kSiTimer, .value = t.value, .timerid = t.id, .posix_timer = true};
  if (t.notify == (kSigevSignal | kSigevThreadId) && t.signo != kSigKill) {
    Thread* target = FindThreadLocked(t.tid);
    if (target == nullptr || &target->process() != &p) return false;
    target->SendSignal(t.signo, info);
  } else {
    p.SendSignal(t.signo, info);
  }
  return SignalQueuedLocked(p, t);
}

// Deletes `t`: its RLIMIT_SIGPENDING charge goes with it, or to its signal
// if that is still queued (Linux's sigqueue_free).
void DeleteLocked(Process& p, PosixTimer& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  if (!t.used) return;
  bool handed = p.pending.AdoptTimerCharge(t.id, t.charge_uid);
  Thread* target = t.tid != 0 ? FindThreadLocked(t.tid) : nullptr;
  if (!handed && target != nullptr && &target->process() == &p) {
    handed = target->pending_queue().AdoptTimerCharge(t.id, t.charge_uid);
  }
  if (!handed) UnchargeSigPending(t.charge_uid);
  t = PosixTimer{};
}

// The setting timer_gettime reports: a periodic timer whose expiry passed
// (its signal still pending) shows the time to its next period.
TimerSetting SettingOf(const PosixTimer& t, uint64_t now) {
  TimerSetting s{.interval_ns = t.interval_ns};
  if (t.at_ns == 0) return s;
  uint64_t at = t.at_ns;
  if (at <= now && t.interval_ns != 0) {
    at += ((now - at) / t.interval_ns + 1) * t.interval_ns;
  }
  if (at > now) {
    s.value_ns = at - now;
  } else if (t.notify != kSigevNone) {
    s.value_ns = 1;  // due: about to fire
  }
  return s;
}

}  // namespace

ostd::Result<int32_t> CreatePosixTimer(Thread& self, int clock,
                                       const std::optional<TimerEvent>& event) {
  // Linux's clocks without timers (MONOTONIC_RAW, the coarse ones) are
  // EOPNOTSUPP. The alarm clocks need CAP_WAKE_ALARM (EPERM); Keel never
  // suspends, so they run as CLOCK_REALTIME and CLOCK_BOOTTIME, and
  // CLOCK_TAI (whose offset from UTC Keel keeps at 0, Linux's default) as
  // CLOCK_REALTIME. CLOCK_THREAD_CPUTIME_ID counts the creating thread's
  // CPU time. A negative id (DecodeCpuClock) names the CPU clock of this
  // process or of one of its threads (another's is EINVAL, as Linux's
  // lookup_task for a timer).
  if (clock == kClockMonotonicRaw || clock == kClockRealtimeCoarse ||
      clock == kClockMonotonicCoarse) {
    return Err(Errno::kEOPNOTSUPP);
  }
  if (clock == kClockRealtimeAlarm || clock == kClockBoottimeAlarm) {
    if (!self.process().creds().Capable(Cap::kWakeAlarm)) return Err(Errno::kEPERM);
    clock = clock == kClockRealtimeAlarm ? kClockRealtime : kClockBoottime;
  }
  if (clock == kClockTai) clock = kClockRealtime;
  int32_t clock_tid = clock == kClockThreadCputime ? self.tid() : 0;
  bool user_time_only = false;
  if (std::optional<CpuClockId> cpu = DecodeCpuClock(clock)) {
    ostd::SpinLockGuard guard(TreeLock());
    if (cpu->thread) {
      Thread* th = cpu->pid == 0 ? &self : FindThreadInLocked(self.process().pid_ns(), cpu->pid);
      if (th == nullptr || &th->process() != &self.process()) return Err(Errno::kEINVAL);
      clock_tid = th->tid();
      clock = kClockThreadCputime;
    } else {
      if (cpu->pid != 0 && cpu->pid != self.process().PidIn(self.process().pid_ns())) {
        return Err(Errno::kEINVAL);
      }
      clock = kClockProcessCputime;
    }
    user_time_only = cpu->which == CpuClockId::kVirt;
  }
  if (clock != kClockRealtime && clock != kClockMonotonic && clock != kClockBoottime &&
      clock != kClockProcessCputime && clock != kClockThreadCputime) {
    return Err(Errno::kEINVAL);
  }
  Process& p = self.process();
  ostd::SpinLockGuard guard(TreeLock());
  PosixTimer* slot = nullptr;
  for (PosixTimer& t : p.posix_timers) {
    if (!t.used) {
      slot = &t;
      break;
    }
  }
  if (slot == nullptr) return Err(Errno::kEAGAIN);
  // The timer's signal is charged now, once (Linux's alloc_posix_timer):
  // EAGAIN past RLIMIT_SIGPENDING.
  SigCharge charge = p.sig_charge();
  if (!ChargeSigPending(charge.uid, charge.limit, /*override_limit=*/false)) {
    return Err(Errno::kEAGAIN);
  }
  struct Uncharge {
    uint32_t uid;
    bool armed = true;
    ~Uncharge() {
      if (armed) UnchargeSigPending(uid);
    }
  } uncharge{charge.uid};
  // Ids count up from 0 (skipping those in use); a creation that fails on
  // its event uses one up, as on Linux.
  int32_t id = p.next_timer_id;
  do {
    id = p.next_timer_id;
    p.next_timer_id = p.next_timer_id == std::numeric_limits<int32_t>::max() ? 0 : id + 1;
  } while (FindLocked(p, id) != nullptr);
  PosixTimer t{.used = true, .id = id, .clock = clock, .charge_uid = charge.uid};
  t.clock_tid = clock_tid;
  t.user_time_only = user_time_only;
  if (event) {
    int32_t notify = event->notify;
    if (notify == (kSigevSignal | kSigevThreadId)) {
      Thread* target = FindThreadInLocked(p.pid_ns(), event->tid);
      if (target == nullptr || &target->process() != &p) return Err(Errno::kEINVAL);
      t.tid = target->tid();
    } else if (notify != kSigevSignal && notify != kSigevThread && notify != kSigevNone) {
      return Err(Errno::kEINVAL);
    }
    if (notify != kSigevNone && (event->signo <= 0 || event->signo > kNumSignals)) {
      return Err(Errno::kEINVAL);
    }
    // SIGEV_THREAD (run by the C library) is a signal to the process here.
    t.notify = notify == kSigevThread ? kSigevSignal : notify;
    t.signo = event->signo;
    t.value = event->value;
  } else {
    t.signo = kSigAlrm;
    t.value = static_cast<uint32_t>(id);
  }
  *slot = t;
  uncharge.armed = false;  // the timer holds it now
  return id;
}

ostd::Result<TimerSetting> SetPosixTimer(Process& p, int32_t id, bool absolute,
                                         TimerSetting setting) {
  TimerSetting old;
  {
    ostd::SpinLockGuard guard(TreeLock());
    PosixTimer* t = FindLocked(p, id);
    if (t == nullptr) return Err(Errno::kEINVAL);
    uint64_t now = ClockNowLocked(p, *t);
    old = SettingOf(*t, now);
    t->signal_queued = false;  // a pending signal no longer re-arms it
    t->overrun_pending = 0;
    t->overrun_last = 0;
    if (setting.value_ns == 0) {
      t->at_ns = 0;
      t->interval_ns = 0;
    } else {
      uint64_t at = setting.value_ns;
      if (!absolute) {
        at = now + setting.value_ns;
      } else if (t->clock == kClockRealtime) {
        // The wall-clock time as a monotonic one (a past time: due now).
        uint64_t offset = RealtimeNs() - MonotonicNs();
        at = at > offset ? at - offset : 1;
      }
      t->at_ns = std::max<uint64_t>(at, 1);
      t->interval_ns = setting.interval_ns;
    }
  }
  RearmTimerTask();
  return old;
}

ostd::Result<TimerSetting> GetPosixTimer(Process& p, int32_t id) {
  ostd::SpinLockGuard guard(TreeLock());
  PosixTimer* t = FindLocked(p, id);
  if (t == nullptr) return Err(Errno::kEINVAL);
  return SettingOf(*t, ClockNowLocked(p, *t));
}

ostd::Result<int32_t> PosixTimerOverrun(Process& p, int32_t id) {
  ostd::SpinLockGuard guard(TreeLock());
  PosixTimer* t = FindLocked(p, id);
  if (t == nullptr) return Err(Errno::kEINVAL);
  return t->overrun_last;
}

ostd::Status DeletePosixTimer(Process& p, int32_t id) {
  ostd::SpinLockGuard guard(TreeLock());
  PosixTimer* t = FindLocked(p, id);
  if (t == nullptr) return Err(Errno::kEINVAL);
  DeleteLocked(p, *t);
  return {};
}

void DeleteAllPosixTimers(Process& p) {
  ostd::SpinLockGuard guard(TreeLock());
  for (PosixTimer& t : p.posix_timers) DeleteLocked(p, t);
}

uint64_t FirePosixTimersLocked(Process& p, uint64_t now_ns) {
  uint64_t next = 0;
  auto want = [&](uint64_t at) { next = next == 0 ? at : std::min(next, at); };
  for (PosixTimer& t : p.posix_timers) {
    if (!t.used || t.at_ns == 0 || t.notify == kSigevNone) continue;
    if (t.clock == kClockThreadCputime && ClockThreadLocked(p, t) == nullptr) {
      t.at_ns = 0;  // its thread is gone
      continue;
    }
    if (t.signal_queued) {
      // Taken without passing through TakeSignal (discarded by SIG_IGN):
      // the timer runs on.
      if (SignalQueuedLocked(p, t)) continue;
      t.signal_queued = false;
      t.overrun_pending =
          ClampOverrun(static_cast<uint64_t>(t.overrun_pending) + Forward(t, ClockNowLocked(p, t)));
      if (t.interval_ns == 0) t.at_ns = 0;
      if (t.at_ns == 0) continue;
    }
    uint64_t now = ClockNowLocked(p, t);
    if (now >= t.at_ns) {
      if (SendLocked(p, t)) {
        t.signal_queued = true;
        if (t.interval_ns == 0) t.at_ns = 0;
        continue;  // re-armed when its signal is taken
      }
      // Ignored: a periodic timer runs on (Linux re-arms it at once).
      if (t.interval_ns == 0) {
        t.at_ns = 0;
        continue;
      }
      t.overrun_pending = ClampOverrun(static_cast<uint64_t>(t.overrun_pending) + Forward(t, now));
    }
    want(OnCpuClock(t) ? now_ns + kCpuPollNs : t.at_ns);
  }
  return next;
}

void PosixTimerSignalTaken(Process& p, SigInfo& info) {
  {
    ostd::SpinLockGuard guard(TreeLock());
    PosixTimer* t = FindLocked(p, info.timerid);
    if (t == nullptr || !t->signal_queued) return;
    t->signal_queued = false;
    uint64_t missed = static_cast<uint64_t>(t->overrun_pending);
    t->overrun_pending = 0;
    if (t->at_ns != 0) missed += Forward(*t, ClockNowLocked(p, *t));
    t->overrun_last = ClampOverrun(missed);
    info.overrun = t->overrun_last;
  }
  RearmTimerTask();
}

}  // namespace kernel
