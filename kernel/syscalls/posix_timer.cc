// POSIX timers: timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete (the timers: kernel/process/posix_timer.h).
#include "kernel/process/posix_timer.h"

#include <array>
#include <cstdint>
#include <optional>

#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/timeout.h"
#include "ostd/pod.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

// struct __kernel_itimerspec.
struct Itimerspec {
  KernelTimespec interval;
  KernelTimespec value;
  OSTD_POD(Itimerspec, interval, value);
};

constexpr uint64_t kNsPerSec = 1'000'000'000;
constexpr uint32_t kTimerAbstime = 1;

// Linux's timespec64_valid(): EINVAL for a negative or out-of-range value.
ostd::Result<uint64_t> ToNs(const KernelTimespec& ts) {
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= static_cast<int64_t>(kNsPerSec)) {
    return Err(Errno::kEINVAL);
  }
  uint64_t sec = static_cast<uint64_t>(ts.sec);
  uint64_t nsec = static_cast<uint64_t>(ts.nsec);
  constexpr uint64_t kMaxSec = (~uint64_t{0} - kNsPerSec) / kNsPerSec;
  return sec > kMaxSec ? ~uint64_t{0} : sec * kNsPerSec + nsec;
}

KernelTimespec FromNs(uint64_t ns) {
  return KernelTimespec{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
}

Itimerspec ToAbi(const TimerSetting& s) {
  return Itimerspec{.interval = FromNs(s.interval_ns), .value = FromNs(s.value_ns)};
}

SyscallResult SysTimerCreate(Thread& self, int clock, UserInPtr<Sigevent> event_ptr,
                             UserOutPtr<int32_t> id_ptr) {
  std::optional<TimerEvent> event;
  if (!event_ptr.is_null()) {
    OSTD_TRY_ASSIGN(Sigevent ev, CopyFromUser(event_ptr));
    event = TimerEvent{.value = ev.value, .signo = ev.signo, .notify = ev.notify, .tid = ev.tid};
  }
  OSTD_TRY_ASSIGN(int32_t id, CreatePosixTimer(self, clock, event));
  if (ostd::Status s = CopyToUser(id_ptr, id); !s) {
    (void)DeletePosixTimer(self.process(), id);
    return Err(s.error());
  }
  return 0;
}

SyscallResult SysTimerSettime(Thread& self, int id, int flags_arg, UserInPtr<Itimerspec> new_ptr,
                              UserOutPtr<Itimerspec> old_ptr) {
  if (new_ptr.is_null()) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(Itimerspec spec, CopyFromUser(new_ptr));
  OSTD_TRY_ASSIGN(uint64_t value, ToNs(spec.value));
  OSTD_TRY_ASSIGN(uint64_t interval, ToNs(spec.interval));
  bool absolute = (static_cast<uint32_t>(flags_arg) & kTimerAbstime) != 0;
  OSTD_TRY_ASSIGN(TimerSetting old,
                  SetPosixTimer(self.process(), id, absolute,
                                TimerSetting{.value_ns = value, .interval_ns = interval}));
  if (!old_ptr.is_null()) OSTD_TRY(CopyToUser(old_ptr, ToAbi(old)));
  return 0;
}

SyscallResult SysTimerGettime(Thread& self, int id, UserOutPtr<Itimerspec> cur) {
  OSTD_TRY_ASSIGN(TimerSetting s, GetPosixTimer(self.process(), id));
  OSTD_TRY(CopyToUser(cur, ToAbi(s)));
  return 0;
}

SyscallResult SysTimerGetoverrun(Thread& self, int id) {
  OSTD_TRY_ASSIGN(int32_t n, PosixTimerOverrun(self.process(), id));
  return static_cast<uint64_t>(n);
}

SyscallResult SysTimerDelete(Thread& self, int id) {
  OSTD_TRY(DeletePosixTimer(self.process(), id));
  return 0;
}

}  // namespace

void RegisterPosixTimerSyscalls(SyscallTable& t) {
  t.Bind<sysno::timer_create, SysTimerCreate>();
  t.Bind<sysno::timer_settime, SysTimerSettime>();
  t.Bind<sysno::timer_gettime, SysTimerGettime>();
  t.Bind<sysno::timer_getoverrun, SysTimerGetoverrun>();
  t.Bind<sysno::timer_delete, SysTimerDelete>();
}

}  // namespace kernel
