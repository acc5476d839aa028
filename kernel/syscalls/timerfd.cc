// timerfd_create(2), timerfd_settime(2), timerfd_gettime(2): a timer whose
// expirations are read as an 8-byte count. Expirations are counted lazily
// from the deadline and the interval whenever the file is read, polled or
// queried; pollers learn when to look again through File::PollDeadline.
// CLOCK_BOOTTIME is CLOCK_MONOTONIC (Keel never suspends); the _ALARM clocks
// behave as their plain clocks. An absolute CLOCK_REALTIME deadline is
// converted to the monotonic clock when it is set (a later clock_settime
// does not move it, and TFD_TIMER_CANCEL_ON_SET is accepted but never
// cancels: Keel's wall clock is set only by root, once, at boot).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using fs::Caller;
using fs::File;
using fs::IoReader;
using fs::IoWriter;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr uint32_t kTfdCloexec = fs::kO_CLOEXEC, kTfdNonblock = fs::kO_NONBLOCK;
constexpr uint32_t kTfdTimerAbstime = 1, kTfdTimerCancelOnSet = 2;
constexpr uint64_t kNsPerSec = 1'000'000'000;

struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};
struct Itimerspec {
  Timespec interval;
  Timespec value;
  OSTD_POD(Itimerspec, interval, value);
};

bool Valid(const Timespec& ts) { return ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < 1'000'000'000; }

// Nanoseconds of a valid timespec, saturating far in the future.
uint64_t Ns(const Timespec& ts) {
  constexpr uint64_t kMaxSec = (~uint64_t{0} >> 2) / kNsPerSec;
  uint64_t sec = static_cast<uint64_t>(ts.sec);
  if (sec > kMaxSec) sec = kMaxSec;
  return sec * kNsPerSec + static_cast<uint64_t>(ts.nsec);
}

Timespec FromNs(uint64_t ns) {
  return Timespec{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
}

class TimerFdFile final : public ostd::Derives<TimerFdFile, File> {
 public:
  TimerFdFile(bool realtime, uint32_t flags)
      : Derives(this, nullptr, fs::kO_RDWR | flags), realtime_(realtime) {}

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[timerfd]"; }
  // lseek succeeds and changes nothing (Linux's noop_llseek).
  ostd::Result<uint64_t> Seek(int64_t, int) override { return uint64_t{0}; }

  ostd::Result<size_t> Read(IoWriter& dst, Caller& caller) override {
    if (dst.avail() < 8) return Err(Errno::kEINVAL);
    uint64_t ticks = 0;
    for (;;) {
      uint64_t seen = waitable_.version();
      std::optional<uint64_t> deadline;
      {
        ostd::SpinLockGuard g(lock_);
        UpdateLocked(MonotonicNs());
        if (ticks_ > 0) {
          ticks = ticks_;
          ticks_ = 0;
          break;
        }
        deadline = next_;
      }
      if (nonblocking()) return Err(Errno::kEAGAIN);
      ostd::Status s = fs::WaitForChange(waitable_, seen, caller, deadline);
      if (!s && s.error() != Errno::kETIMEDOUT) return Err(s.error());
    }
    std::array<uint8_t, 8> bytes{};
    for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(ticks >> (8 * i));
    fs::CopyResult r = dst.Write(bytes);
    if (!r.ok()) return Err(*r.error);
    return size_t{8};
  }
  ostd::Result<size_t> Write(IoReader&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kESPIPE); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kESPIPE);
  }

  uint16_t Poll() override {
    ostd::SpinLockGuard g(lock_);
    UpdateLocked(MonotonicNs());
    return ticks_ > 0 ? fs::kPollIn | fs::kPollRdNorm : 0;
  }
  fs::Waitable* waitable() override { return &waitable_; }
  std::optional<uint64_t> PollDeadline() override {
    ostd::SpinLockGuard g(lock_);
    return next_;
  }
  uint64_t PollGeneration() override {
    ostd::SpinLockGuard g(lock_);
    UpdateLocked(MonotonicNs());
    return waitable_.version() + expirations_;
  }

  // The current setting: time to the next expiry (0: disarmed) and interval.
  Itimerspec Get() {
    ostd::SpinLockGuard g(lock_);
    return GetLocked(MonotonicNs());
  }

  // timerfd_settime after the argument checks; returns the old setting.
  Itimerspec Set(uint32_t flags, const Itimerspec& spec) {
    Itimerspec old;
    {
      ostd::SpinLockGuard g(lock_);
      uint64_t now = MonotonicNs();
      old = GetLocked(now);
      ticks_ = 0;
      interval_ = Ns(spec.interval);
      uint64_t value = Ns(spec.value);
      if (value == 0) {
        next_.reset();
      } else if ((flags & kTfdTimerAbstime) == 0) {
        next_ = now + value;
      } else if (realtime_) {
        uint64_t wall = RealtimeNs();
        if (value > wall) {
          next_ = now + (value - wall);
        } else {
          // Already past (perhaps before boot, which the monotonic clock
          // cannot express): count the expirations since then now.
          uint64_t past = wall - value;
          uint64_t n = 1 + (interval_ != 0 ? past / interval_ : 0);
          ticks_ += n;
          expirations_ += n;
          if (interval_ != 0) {
            next_ = now + (interval_ - past % interval_);
          } else {
            next_.reset();
          }
        }
      } else {
        next_ = value == 0 ? 1 : value;
      }
    }
    waitable_.Notify();
    return old;
  }

 private:
  // Counts the expirations up to `now`.
  void UpdateLocked(uint64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    if (!next_ || now < *next_) return;
    uint64_t n = 1;
    if (interval_ != 0) {
      n += (now - *next_) / interval_;
      next_ = *next_ + n * interval_;
    } else {
      next_.reset();
    }
    ticks_ += n;
    expirations_ += n;
  }
  Itimerspec GetLocked(uint64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    UpdateLocked(now);
    Itimerspec s{};
    s.interval = FromNs(interval_);
    s.value = FromNs(next_ ? *next_ - now : 0);
    return s;
  }

  const bool realtime_;
  ostd::SpinLock lock_;
  std::optional<uint64_t> next_ ABSL_GUARDED_BY(lock_);  // next expiry (NowNanos clock)
  uint64_t interval_ ABSL_GUARDED_BY(lock_) = 0;
  uint64_t ticks_ ABSL_GUARDED_BY(lock_) = 0;        // expirations not read yet
  uint64_t expirations_ ABSL_GUARDED_BY(lock_) = 0;  // ever (PollGeneration)
  fs::Waitable waitable_;
};

SyscallResult SysTimerfdCreate(Thread& self, int clockid, int flags_arg) {
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  if ((flags & ~(kTfdCloexec | kTfdNonblock)) != 0) return Err(Errno::kEINVAL);
  bool realtime = false;
  switch (clockid) {
    case kClockRealtime:
    case kClockRealtimeAlarm:
      realtime = true;
      break;
    case kClockMonotonic:
    case kClockBoottime:
    case kClockBoottimeAlarm:
      break;
    default:
      return Err(Errno::kEINVAL);
  }
  if ((clockid == kClockRealtimeAlarm || clockid == kClockBoottimeAlarm) &&
      !self.process().creds().Capable(Cap::kWakeAlarm)) {
    return Err(Errno::kEPERM);
  }
  OSTD_TRY(file_sys::CheckFreeFd(self));
  OSTD_TRY_ASSIGN(RefPtr<TimerFdFile> file,
                  fs::MakeRef<TimerFdFile>(realtime, flags & kTfdNonblock));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(RefPtr<File>(std::move(file)),
                                                         (flags & kTfdCloexec) != 0));
  return fd;
}

// The timerfd at `fd`: EBADF if none, EINVAL if it is another kind of file.
ostd::Result<RefPtr<TimerFdFile>> GetTimerFd(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
  RefPtr<TimerFdFile> t = ostd::DowncastRef<TimerFdFile>(f);
  if (!t) return Err(Errno::kEINVAL);
  return t;
}

SyscallResult SysTimerfdSettime(Thread& self, int fd, int flags_arg,
                                ostd::vm::UserInPtr<Itimerspec> new_value,
                                ostd::vm::UserOutPtr<Itimerspec> old_value) {
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  OSTD_TRY_ASSIGN(Itimerspec spec, ostd::vm::CopyFromUser(new_value));
  if ((flags & ~(kTfdTimerAbstime | kTfdTimerCancelOnSet)) != 0 || !Valid(spec.value) ||
      !Valid(spec.interval)) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(RefPtr<TimerFdFile> t, GetTimerFd(self, fd));
  Itimerspec old = t->Set(flags, spec);
  if (!old_value.is_null()) OSTD_TRY(ostd::vm::CopyToUser(old_value, old));
  return 0;
}

SyscallResult SysTimerfdGettime(Thread& self, int fd, ostd::vm::UserOutPtr<Itimerspec> cur) {
  OSTD_TRY_ASSIGN(RefPtr<TimerFdFile> t, GetTimerFd(self, fd));
  OSTD_TRY(ostd::vm::CopyToUser(cur, t->Get()));
  return 0;
}

}  // namespace

void RegisterTimerfdSyscalls(SyscallTable& t) {
  t.Bind<sysno::timerfd_create, SysTimerfdCreate>();
  t.Bind<sysno::timerfd_settime, SysTimerfdSettime>();
  t.Bind<sysno::timerfd_gettime, SysTimerfdGettime>();
}

}  // namespace kernel
