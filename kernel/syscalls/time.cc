// Clocks and sleeping.
#include <cstdint>

#include "kernel/process/clock.h"
#include "kernel/process/itimer.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserPtr;

constexpr uint64_t kNsPerSec = 1'000'000'000;

struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};
struct Timeval {
  int64_t sec;
  int64_t usec;
  OSTD_POD(Timeval, sec, usec);
};

constexpr int kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
              kClockThreadCputime = 3, kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5,
              kClockMonotonicCoarse = 6, kClockBoottime = 7;

ostd::Result<uint64_t> ClockNow(uint64_t clock) {
  switch (static_cast<int>(clock)) {
    case kClockRealtime:
    case kClockRealtimeCoarse:
      return RealtimeNs();
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime:
      return MonotonicNs();
    case kClockProcessCputime:
    case kClockThreadCputime:
      // These still read the time since boot (an upper bound that
      // increases): the accounted CPU times (getrusage, times) are not wired
      // into the clocks yet.
      return MonotonicNs();
    default:
      return Err(Errno::kEINVAL);
  }
}

Timespec ToTimespec(uint64_t ns) {
  return Timespec{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
}

ostd::Result<uint64_t> FromTimespec(const Timespec& ts) {
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= static_cast<int64_t>(kNsPerSec)) {
    return Err(Errno::kEINVAL);
  }
  uint64_t sec = static_cast<uint64_t>(ts.sec);
  if (sec > (~uint64_t{0} - kNsPerSec) / kNsPerSec) return ~uint64_t{0};
  return sec * kNsPerSec + static_cast<uint64_t>(ts.nsec);
}

SyscallResult SysClockGettime(Thread&, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(uint64_t now, ClockNow(a[0]));
  OSTD_TRY(CopyToUser(UserPtr<Timespec>(a[1]), ToTimespec(now)));
  return 0;
}

SyscallResult SysClockGetres(Thread&, const SyscallArgs& a) {
  OSTD_TRY(ClockNow(a[0]));
  if (a[1] != 0) OSTD_TRY(CopyToUser(UserPtr<Timespec>(a[1]), Timespec{0, 1}));
  return 0;
}

SyscallResult SysClockSettime(Thread& self, const SyscallArgs& a) {
  if (a[0] != kClockRealtime) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(UserPtr<Timespec>(a[1])));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  if (!self.process().creds().IsRoot()) return Err(Errno::kEPERM);
  SetRealtime(ns);
  return 0;
}

SyscallResult SysGettimeofday(Thread&, const SyscallArgs& a) {
  uint64_t now = RealtimeNs();
  if (a[0] != 0) {
    OSTD_TRY(
        CopyToUser(UserPtr<Timeval>(a[0]), Timeval{static_cast<int64_t>(now / kNsPerSec),
                                                   static_cast<int64_t>(now % kNsPerSec / 1000)}));
  }
  if (a[1] != 0) OSTD_TRY(CopyToUser(UserPtr<Timeval>(a[1]), Timeval{0, 0}));  // struct timezone
  return 0;
}

SyscallResult SysTime(Thread&, const SyscallArgs& a) {
  uint64_t sec = RealtimeNs() / kNsPerSec;
  if (a[0] != 0) OSTD_TRY(CopyToUser(UserPtr<int64_t>(a[0]), static_cast<int64_t>(sec)));
  return sec;
}

// Sleeps until the monotonic `deadline`; EINTR (with the time left written
// to `rem` when given) if a signal arrives first.
SyscallResult SleepUntil(Thread& self, uint64_t deadline, uint64_t rem) {
  for (;;) {
    uint64_t now = MonotonicNs();
    if (now >= deadline) return 0;
    if (self.HasPendingSignal()) {
      if (rem != 0) OSTD_TRY(CopyToUser(UserPtr<Timespec>(rem), ToTimespec(deadline - now)));
      return Err(Errno::kEINTR);
    }
    // Sleep in slices so that a signal is noticed within a tick.
    uint64_t slice = deadline - now;
    if (slice > 10'000'000) slice = 10'000'000;
    ostd::SleepFor(slice);
  }
}

SyscallResult SysNanosleep(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(UserPtr<Timespec>(a[0])));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  uint64_t now = MonotonicNs();
  uint64_t deadline = ns > ~uint64_t{0} - now ? ~uint64_t{0} : now + ns;
  return SleepUntil(self, deadline, a[1]);
}

SyscallResult SysClockNanosleep(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kTimerAbstime = 1;
  uint64_t clock = a[0];
  if (clock == kClockThreadCputime) return Err(Errno::kEINVAL);
  OSTD_TRY(ClockNow(clock));
  if ((a[1] & ~kTimerAbstime) != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(UserPtr<Timespec>(a[2])));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  uint64_t mono_now = MonotonicNs();
  uint64_t deadline;
  if ((a[1] & kTimerAbstime) != 0) {
    // Convert an absolute time on `clock` to the monotonic clock.
    OSTD_TRY_ASSIGN(uint64_t clock_now, ClockNow(clock));
    deadline = ns <= clock_now ? mono_now : mono_now + (ns - clock_now);
    return SleepUntil(self, deadline, 0);
  }
  deadline = ns > ~uint64_t{0} - mono_now ? ~uint64_t{0} : mono_now + ns;
  return SleepUntil(self, deadline, a[3]);
}

struct Itimerval {
  Timeval interval;
  Timeval value;
  OSTD_POD(Itimerval, interval, value);
};

uint64_t TimevalNs(const Timeval& tv) {
  return static_cast<uint64_t>(tv.sec) * kNsPerSec + static_cast<uint64_t>(tv.usec) * 1000;
}

Timeval ToTimeval(uint64_t ns) {
  // A running timer never reads as 0 (that would mean disarmed).
  uint64_t us = (ns + 999) / 1000;
  return Timeval{static_cast<int64_t>(us / 1'000'000), static_cast<int64_t>(us % 1'000'000)};
}

constexpr uint64_t kItimerReal = 0, kItimerVirtual = 1, kItimerProf = 2;

CpuClock CpuClockOf(uint64_t which) {
  return which == kItimerVirtual ? CpuClock::kVirtual : CpuClock::kProf;
}

SyscallResult SysAlarm(Thread& self, const SyscallArgs& a) {
  uint64_t secs = static_cast<uint32_t>(a[0]);
  RealTimer old = SetRealTimer(self.process(), secs * kNsPerSec, 0);
  // The old remaining time, rounded to the nearest second (at least 1 if armed).
  uint64_t left = (old.remaining_ns + kNsPerSec / 2) / kNsPerSec;
  return old.remaining_ns != 0 && left == 0 ? 1 : left;
}

SyscallResult SysSetitimer(Thread& self, const SyscallArgs& a) {
  if (a[0] > kItimerProf) return Err(Errno::kEINVAL);
  Itimerval next{};
  if (a[1] != 0) {
    ostd::Result<Itimerval> v = CopyFromUser(UserPtr<Itimerval>(a[1]));
    if (!v) return Err(v.error());
    next = *v;
  }
  for (const Timeval& tv : {next.interval, next.value}) {
    if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1'000'000) return Err(Errno::kEINVAL);
  }
  uint64_t value = TimevalNs(next.value), interval = TimevalNs(next.interval);
  RealTimer t = a[0] == kItimerReal
                    ? SetRealTimer(self.process(), value, interval)
                    : SetCpuTimer(self.process(), CpuClockOf(a[0]), value, interval);
  Itimerval old{};
  old.value = t.remaining_ns == 0 ? Timeval{0, 0} : ToTimeval(t.remaining_ns);
  old.interval = ToTimeval(t.interval_ns);
  if (a[2] != 0) OSTD_TRY(CopyToUser(UserPtr<Itimerval>(a[2]), old));
  return 0;
}

SyscallResult SysGetitimer(Thread& self, const SyscallArgs& a) {
  if (a[0] > kItimerProf) return Err(Errno::kEINVAL);
  RealTimer t = a[0] == kItimerReal ? GetRealTimer(self.process())
                                    : GetCpuTimer(self.process(), CpuClockOf(a[0]));
  Itimerval cur{};
  cur.value = t.remaining_ns == 0 ? Timeval{0, 0} : ToTimeval(t.remaining_ns);
  cur.interval = ToTimeval(t.interval_ns);
  OSTD_TRY(CopyToUser(UserPtr<Itimerval>(a[1]), cur));
  return 0;
}

// times(2): the process's and its reaped children's CPU times in clock
// ticks (100 Hz); returns the ticks since boot.
SyscallResult SysTimes(Thread& self, const SyscallArgs& a) {
  struct Tms {
    int64_t utime, stime, cutime, cstime;
    OSTD_POD(Tms, utime, stime, cutime, cstime);
  };
  if (a[0] != 0) {
    CpuTimes own, children;
    {
      ostd::SpinLockGuard guard(TreeLock());
      own = self.process().SelfTimesLocked();
      children = self.process().children_times_locked();
    }
    OSTD_TRY(CopyToUser(UserPtr<Tms>(a[0]),
                        Tms{ClockTicks(own.user_ns), ClockTicks(own.sys_ns),
                            ClockTicks(children.user_ns), ClockTicks(children.sys_ns)}));
  }
  return MonotonicNs() / (kNsPerSec / 100);
}

}  // namespace

void RegisterTimeSyscalls(SyscallTable& t) {
  t.Register(228, "clock_gettime", SysClockGettime);
  t.Register(229, "clock_getres", SysClockGetres);
  t.Register(227, "clock_settime", SysClockSettime);
  t.Register(96, "gettimeofday", SysGettimeofday);
  t.Register(201, "time", SysTime);
  t.Register(35, "nanosleep", SysNanosleep);
  t.Register(230, "clock_nanosleep", SysClockNanosleep);
  t.Register(100, "times", SysTimes);
  t.Register(37, "alarm", SysAlarm);
  t.Register(38, "setitimer", SysSetitimer);
  t.Register(36, "getitimer", SysGetitimer);
}

}  // namespace kernel
