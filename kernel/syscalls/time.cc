// Clocks and sleeping.
#include <atomic>
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
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

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

// A clock's reading. Keel never suspends, so CLOCK_BOOTTIME is
// CLOCK_MONOTONIC, and the alarm clocks read as the clocks they follow;
// CLOCK_TAI is CLOCK_REALTIME plus the TAI offset, which Keel keeps at
// Linux's default of 0 (adjtimex cannot set it). The CPU-time clocks read
// the accounted CPU time of the calling process or thread (the same as
// getrusage and times).
ostd::Result<uint64_t> ClockNow(Thread& self, int clock) {
  switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse:
    case kClockRealtimeAlarm:
    case kClockTai:
      return RealtimeNs();
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime:
    case kClockBoottimeAlarm:
      return MonotonicNs();
    case kClockProcessCputime: {
      ostd::SpinLockGuard guard(TreeLock());
      CpuTimes c = self.process().SelfTimesLocked();
      return c.user_ns + c.sys_ns;
    }
    case kClockThreadCputime: {
      CpuTimes c = self.cpu_times();
      return c.user_ns + c.sys_ns;
    }
    default:
      break;
  }
  // The CPU clock of any process or thread (pthread_getcpuclockid, and
  // Linux's lookup_task for reading: EINVAL if there is none).
  std::optional<CpuClockId> cpu = DecodeCpuClock(clock);
  if (!cpu) return Err(Errno::kEINVAL);
  CpuTimes c{};
  {
    ostd::SpinLockGuard guard(TreeLock());
    if (cpu->thread) {
      Thread* t = cpu->pid == 0 ? &self : FindThreadInLocked(self.process().pid_ns(), cpu->pid);
      if (t == nullptr) return Err(Errno::kEINVAL);
      c = t->cpu_times();
    } else {
      Process* p =
          cpu->pid == 0 ? &self.process() : FindProcessInLocked(self.process().pid_ns(), cpu->pid);
      if (p == nullptr) return Err(Errno::kEINVAL);
      c = p->SelfTimesLocked();
    }
  }
  return cpu->which == CpuClockId::kVirt ? c.user_ns : c.user_ns + c.sys_ns;
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

SyscallResult SysClockGettime(Thread& self, int clock, UserOutPtr<Timespec> tp) {
  OSTD_TRY_ASSIGN(uint64_t now, ClockNow(self, clock));
  OSTD_TRY(CopyToUser(tp, ToTimespec(now)));
  return 0;
}

SyscallResult SysClockGetres(Thread& self, int clock, UserOutPtr<Timespec> res) {
  OSTD_TRY(ClockNow(self, clock));
  if (!res.is_null()) OSTD_TRY(CopyToUser(res, Timespec{0, 1}));
  return 0;
}

SyscallResult SysClockSettime(Thread& self, int clock, UserInPtr<Timespec> tp) {
  if (clock != kClockRealtime) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(tp));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  if (!self.process().creds().Capable(Cap::kSysTime)) return Err(Errno::kEPERM);
  if (ns < MonotonicNs()) return Err(Errno::kEINVAL);  // boot before 1970, as Linux
  SetRealtime(ns);
  return 0;
}

// struct timezone: kept for gettimeofday (nothing else in the kernel uses it).
struct Timezone {
  int32_t minuteswest;
  int32_t dsttime;
  OSTD_POD(Timezone, minuteswest, dsttime);
};
std::atomic<uint64_t> system_tz{0};  // minuteswest | dsttime << 32, as two u32

// settimeofday(tv, tz), in Linux's order: copy both (EFAULT), tv's
// microseconds and range (EINVAL), the privilege (EPERM), tz's range
// (EINVAL), then a time before the current CLOCK_MONOTONIC (boot would be
// before 1970) is EINVAL as well.
SyscallResult SysSettimeofday(Thread& self, UserInPtr<Timeval> utv, UserInPtr<Timezone> utz) {
  std::optional<Timeval> tv;
  std::optional<Timezone> tz;
  if (!utv.is_null()) {
    OSTD_TRY_ASSIGN(tv, CopyFromUser(utv));
    if (tv->usec < 0 || tv->usec >= 1'000'000 || tv->sec < 0) return Err(Errno::kEINVAL);
  }
  if (!utz.is_null()) {
    OSTD_TRY_ASSIGN(tz, CopyFromUser(utz));
  }
  if ((tv || tz) && !self.process().creds().Capable(Cap::kSysTime)) return Err(Errno::kEPERM);
  if (tz) {
    if (tz->minuteswest < -15 * 60 || tz->minuteswest > 15 * 60) return Err(Errno::kEINVAL);
    system_tz.store(static_cast<uint32_t>(tz->minuteswest) |
                        (uint64_t{static_cast<uint32_t>(tz->dsttime)} << 32),
                    std::memory_order_relaxed);
  }
  if (tv) {
    uint64_t ns =
        static_cast<uint64_t>(tv->sec) * kNsPerSec + static_cast<uint64_t>(tv->usec) * 1000;
    if (ns < MonotonicNs()) return Err(Errno::kEINVAL);
    SetRealtime(ns);
  }
  return 0;
}

SyscallResult SysGettimeofday(Thread&, UserOutPtr<Timeval> tv, UserOutPtr<Timeval> tz) {
  uint64_t now = RealtimeNs();
  if (!tv.is_null()) {
    OSTD_TRY(CopyToUser(tv, Timeval{static_cast<int64_t>(now / kNsPerSec),
                                    static_cast<int64_t>(now % kNsPerSec / 1000)}));
  }
  if (!tz.is_null()) {
    uint64_t z = system_tz.load(std::memory_order_relaxed);
    OSTD_TRY(CopyToUser(UserOutPtr<Timezone>(tz.addr()),
                        Timezone{static_cast<int32_t>(static_cast<uint32_t>(z)),
                                 static_cast<int32_t>(static_cast<uint32_t>(z >> 32))}));
  }
  return 0;
}

SyscallResult SysTime(Thread&, UserOutPtr<int64_t> tloc) {
  uint64_t sec = RealtimeNs() / kNsPerSec;
  if (!tloc.is_null()) OSTD_TRY(CopyToUser(tloc, static_cast<int64_t>(sec)));
  return sec;
}

// Sleeps until the monotonic `deadline`; EINTR (with the time left written
// to `rem` when given) if a signal arrives first.
SyscallResult SleepUntil(Thread& self, uint64_t deadline, UserOutPtr<Timespec> rem) {
  for (;;) {
    uint64_t now = MonotonicNs();
    if (now >= deadline) return 0;
    if (self.HasPendingSignal()) {
      if (!rem.is_null()) OSTD_TRY(CopyToUser(rem, ToTimespec(deadline - now)));
      return Err(Errno::kEINTR);
    }
    // Sleep in slices so that a signal is noticed within a tick.
    uint64_t slice = deadline - now;
    if (slice > 10'000'000) slice = 10'000'000;
    ostd::SleepFor(slice);
  }
}

SyscallResult SysNanosleep(Thread& self, UserInPtr<Timespec> req, UserOutPtr<Timespec> rem) {
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(req));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  uint64_t now = MonotonicNs();
  uint64_t deadline = ns > ~uint64_t{0} - now ? ~uint64_t{0} : now + ns;
  return SleepUntil(self, deadline, rem);
}

SyscallResult SysClockNanosleep(Thread& self, int clock, uint64_t flags, UserInPtr<Timespec> req,
                                UserOutPtr<Timespec> rem) {
  constexpr uint64_t kTimerAbstime = 1;
  // A thread's CPU clock cannot be slept on (Linux's
  // thread_cpu_nsleep), by either name.
  std::optional<CpuClockId> cpu = DecodeCpuClock(clock);
  if (clock == kClockThreadCputime || (cpu && cpu->thread)) return Err(Errno::kEINVAL);
  OSTD_TRY(ClockNow(self, clock));
  if ((flags & ~kTimerAbstime) != 0) return Err(Errno::kEINVAL);
  if ((clock == kClockRealtimeAlarm || clock == kClockBoottimeAlarm) &&
      !self.process().creds().Capable(Cap::kWakeAlarm)) {
    return Err(Errno::kEPERM);
  }
  OSTD_TRY_ASSIGN(Timespec ts, CopyFromUser(req));
  OSTD_TRY_ASSIGN(uint64_t ns, FromTimespec(ts));
  uint64_t mono_now = MonotonicNs();
  uint64_t deadline;
  if ((flags & kTimerAbstime) != 0) {
    // Convert an absolute time on `clock` to the monotonic clock.
    // (CLOCK_PROCESS_CPUTIME_ID is slept as if its time passed with the
    // wall clock's, where Linux waits for the process to use the CPU time.)
    OSTD_TRY_ASSIGN(uint64_t clock_now, ClockNow(self, clock));
    deadline = ns <= clock_now ? mono_now : mono_now + (ns - clock_now);
    return SleepUntil(self, deadline, UserOutPtr<Timespec>());
  }
  deadline = ns > ~uint64_t{0} - mono_now ? ~uint64_t{0} : mono_now + ns;
  return SleepUntil(self, deadline, rem);
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

SyscallResult SysAlarm(Thread& self, uint32_t seconds) {
  uint64_t secs = seconds;
  RealTimer old = SetRealTimer(self.process(), secs * kNsPerSec, 0);
  // The old remaining time, rounded to the nearest second (at least 1 if armed).
  uint64_t left = (old.remaining_ns + kNsPerSec / 2) / kNsPerSec;
  return old.remaining_ns != 0 && left == 0 ? 1 : left;
}

SyscallResult SysSetitimer(Thread& self, int which, UserInPtr<Itimerval> value,
                           UserOutPtr<Itimerval> ovalue) {
  if (which < 0 || static_cast<uint64_t>(which) > kItimerProf) return Err(Errno::kEINVAL);
  Itimerval next{};
  if (!value.is_null()) {
    ostd::Result<Itimerval> v = CopyFromUser(value);
    if (!v) return Err(v.error());
    next = *v;
  }
  for (const Timeval& tv : {next.interval, next.value}) {
    if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1'000'000) return Err(Errno::kEINVAL);
  }
  uint64_t value_ns = TimevalNs(next.value), interval = TimevalNs(next.interval);
  RealTimer t = static_cast<uint64_t>(which) == kItimerReal
                    ? SetRealTimer(self.process(), value_ns, interval)
                    : SetCpuTimer(self.process(), CpuClockOf(static_cast<uint64_t>(which)),
                                  value_ns, interval);
  Itimerval old{};
  old.value = t.remaining_ns == 0 ? Timeval{0, 0} : ToTimeval(t.remaining_ns);
  old.interval = ToTimeval(t.interval_ns);
  if (!ovalue.is_null()) OSTD_TRY(CopyToUser(ovalue, old));
  return 0;
}

SyscallResult SysGetitimer(Thread& self, int which, UserOutPtr<Itimerval> value) {
  if (which < 0 || static_cast<uint64_t>(which) > kItimerProf) return Err(Errno::kEINVAL);
  RealTimer t = static_cast<uint64_t>(which) == kItimerReal
                    ? GetRealTimer(self.process())
                    : GetCpuTimer(self.process(), CpuClockOf(static_cast<uint64_t>(which)));
  Itimerval cur{};
  cur.value = t.remaining_ns == 0 ? Timeval{0, 0} : ToTimeval(t.remaining_ns);
  cur.interval = ToTimeval(t.interval_ns);
  OSTD_TRY(CopyToUser(value, cur));
  return 0;
}

// times(2): the process's and its reaped children's CPU times in clock
// ticks (100 Hz); returns the ticks since boot.
struct Tms {
  int64_t utime, stime, cutime, cstime;
  OSTD_POD(Tms, utime, stime, cutime, cstime);
};

SyscallResult SysTimes(Thread& self, UserOutPtr<Tms> buf) {
  if (!buf.is_null()) {
    CpuTimes own, children;
    {
      ostd::SpinLockGuard guard(TreeLock());
      own = self.process().SelfTimesLocked();
      children = self.process().children_times_locked();
    }
    OSTD_TRY(CopyToUser(buf, Tms{ClockTicks(own.user_ns), ClockTicks(own.sys_ns),
                                 ClockTicks(children.user_ns), ClockTicks(children.sys_ns)}));
  }
  return MonotonicNs() / (kNsPerSec / 100);
}

}  // namespace

void RegisterTimeSyscalls(SyscallTable& t) {
  t.Bind<sysno::clock_gettime, SysClockGettime>();
  t.Bind<sysno::clock_getres, SysClockGetres>();
  t.Bind<sysno::clock_settime, SysClockSettime>();
  t.Bind<sysno::gettimeofday, SysGettimeofday>();
  t.Bind<sysno::settimeofday, SysSettimeofday>();
  t.Bind<sysno::time, SysTime>();
  t.Bind<sysno::nanosleep, SysNanosleep>();
  t.Bind<sysno::clock_nanosleep, SysClockNanosleep>();
  t.Bind<sysno::times, SysTimes>();
  t.Bind<sysno::alarm, SysAlarm>();
  t.Bind<sysno::setitimer, SysSetitimer>();
  t.Bind<sysno::getitimer, SysGetitimer>();
}

}  // namespace kernel
