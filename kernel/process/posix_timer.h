// POSIX per-process timers (timer_create and friends), served by the
// interval-timer task (itimer.cc). A timer counts on CLOCK_REALTIME,
// CLOCK_MONOTONIC, CLOCK_BOOTTIME (all kept as a monotonic deadline; an
// absolute CLOCK_REALTIME time is converted when the timer is set) or
// CLOCK_PROCESS_CPUTIME_ID (the process's user + system time, checked every
// few ms). On expiry it sends its signal (SI_TIMER, si_timerid, si_value) to
// the process or, with SIGEV_THREAD_ID, to one of its threads, or does
// nothing (SIGEV_NONE). As on Linux, a periodic timer whose signal is still
// pending does not send another: it is re-armed when the signal is taken,
// and the periods missed meanwhile are that signal's si_overrun (and what
// timer_getoverrun reports afterwards). Timers are not inherited by fork and
// are deleted by execve and exit. Each timer counts as one queued signal
// against its creator's RLIMIT_SIGPENDING while it exists (Linux
// preallocates its sigqueue; see sig_queue.h).
#ifndef KERNEL_PROCESS_POSIX_TIMER_H_
#define KERNEL_PROCESS_POSIX_TIMER_H_

#include <cstdint>
#include <optional>

#include "ostd/result.h"
#include "ostd/sync.h"

namespace kernel {

class Process;
class Thread;
struct SigInfo;
ostd::SpinLock& TreeLock();  // process.h

inline constexpr int kSigevSignal = 0, kSigevNone = 1, kSigevThread = 2, kSigevThreadId = 4;
inline constexpr int kMaxPosixTimers = 32;  // per process; more is EAGAIN

// One timer's state, kept in its Process (guarded by TreeLock()).
struct PosixTimer {
  bool used = false;
  bool signal_queued = false;  // its signal was sent and has not been taken
  int32_t notify = kSigevSignal;
  int32_t id = 0;
  int32_t clock = 0;
  int32_t signo = 0;
  int32_t tid = 0;              // SIGEV_THREAD_ID: the target thread
  int32_t clock_tid = 0;        // CLOCK_THREAD_CPUTIME_ID: the thread whose CPU time it counts
  bool user_time_only = false;  // a CPUCLOCK_VIRT clock: user time only
  uint64_t value = 0;           // sigev_value
  // The next expiry on the timer's clock (monotonic ns, or process or
  // thread CPU ns);
  // 0: disarmed.
  uint64_t at_ns = 0;
  uint64_t interval_ns = 0;
  int32_t overrun_pending = 0;  // periods missed while the signal was ignored
  int32_t overrun_last = 0;     // timer_getoverrun
  uint32_t charge_uid = 0;      // the real user its RLIMIT_SIGPENDING charge is on
};

// struct sigevent's fields timer_create uses.
struct TimerEvent {
  uint64_t value = 0;
  int32_t signo = 0;
  int32_t notify = kSigevSignal;
  int32_t tid = 0;
};

struct TimerSetting {
  uint64_t value_ns = 0;  // time left (0: disarmed)
  uint64_t interval_ns = 0;
};

// timer_create: the new timer's id. EINVAL (clock, or a bad event: signal
// out of range, unknown notify, a thread not in the process), EAGAIN (too
// many timers, or RLIMIT_SIGPENDING reached). `event` nullopt: SIGALRM with
// the id as si_value.
ostd::Result<int32_t> CreatePosixTimer(Thread& self, int clock,
                                       const std::optional<TimerEvent>& event);
// timer_settime: arms (value_ns > 0; an absolute time on the timer's clock
// if `absolute`) or disarms the timer; returns the old setting. EINVAL (id).
ostd::Result<TimerSetting> SetPosixTimer(Process& p, int32_t id, bool absolute,
                                         TimerSetting setting);
// timer_gettime. EINVAL (id).
ostd::Result<TimerSetting> GetPosixTimer(Process& p, int32_t id);
// timer_getoverrun. EINVAL (id).
ostd::Result<int32_t> PosixTimerOverrun(Process& p, int32_t id);
// timer_delete. EINVAL (id).
ostd::Status DeletePosixTimer(Process& p, int32_t id);
// execve and exit: every timer goes.
void DeleteAllPosixTimers(Process& p);

// The timer task (TreeLock() held): sends the signals of `p`'s due timers;
// returns the monotonic time it should look again (0: never).
uint64_t FirePosixTimersLocked(Process& p, uint64_t now_ns)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
// A signal with SI_TIMER was taken (no lock held): re-arms its periodic
// timer and fills in info.overrun.
void PosixTimerSignalTaken(Process& p, SigInfo& info);

}  // namespace kernel

#endif  // KERNEL_PROCESS_POSIX_TIMER_H_
