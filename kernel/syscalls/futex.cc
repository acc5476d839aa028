// futex(2): wait and wake (plain and bitset), requeue, wake-op, the PI
// lock operations and requeue-PI, on private and shared futexes
// (kernel/process/futex.h).
#include "kernel/process/futex.h"

#include <cstdint>
#include <optional>

#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr uint32_t kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5, kLockPi = 6,
                   kUnlockPi = 7, kTrylockPi = 8, kWaitBitset = 9, kWakeBitset = 10,
                   kWaitRequeuePi = 11, kCmpRequeuePi = 12, kLockPi2 = 13;
constexpr uint32_t kPrivate = 128, kClockRealtime = 256;

struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};

// The deadline (NowNanos clock) of a wait's timeout argument: relative for
// FUTEX_WAIT; absolute on CLOCK_REALTIME for FUTEX_LOCK_PI; absolute on
// CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME, for
// FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI and FUTEX_LOCK_PI2. EINVAL,
// EFAULT.
ostd::Result<std::optional<uint64_t>> WaitDeadline(uint64_t timeout, uint32_t cmd, bool realtime) {
  if (timeout == 0) return std::optional<uint64_t>();
  OSTD_TRY_ASSIGN(Timespec ts, ostd::vm::CopyFromUser(ostd::vm::UserInPtr<Timespec>(timeout)));
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1'000'000'000) return Err(Errno::kEINVAL);
  constexpr uint64_t kMaxSec = (~uint64_t{0} >> 1) / 1'000'000'000;
  uint64_t sec = static_cast<uint64_t>(ts.sec) > kMaxSec ? kMaxSec : static_cast<uint64_t>(ts.sec);
  uint64_t ns = sec * 1'000'000'000 + static_cast<uint64_t>(ts.nsec);
  uint64_t now = MonotonicNs();
  if (cmd == kWait) return std::optional<uint64_t>(now + ns);  // relative
  if (realtime || cmd == kLockPi) {
    uint64_t wall = RealtimeNs();
    return std::optional<uint64_t>(now + (ns > wall ? ns - wall : 0));
  }
  return std::optional<uint64_t>(ns);  // absolute CLOCK_MONOTONIC
}

// Linux's int view of a count argument.
int AsInt(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

// futex(uaddr, op, val, timeout or val2, uaddr2, val3). uaddr is an address,
// not a pointer copied through: the futex code reads the word itself.
SyscallResult SysFutex(Thread& self, uint64_t uaddr, int op_arg, uint32_t val, uint64_t timeout,
                       uint64_t uaddr2, uint32_t val3) {
  uint32_t op_bits = static_cast<uint32_t>(op_arg);
  uint32_t cmd = op_bits & ~(kPrivate | kClockRealtime);
  bool shared = (op_bits & kPrivate) == 0;
  bool realtime = (op_bits & kClockRealtime) != 0;
  if (realtime && cmd != kWait && cmd != kWaitBitset && cmd != kWaitRequeuePi && cmd != kLockPi2) {
    return Err(Errno::kENOSYS);
  }
  AddressSpace& mm = self.process().mm();
  switch (cmd) {
    case kWait:
    case kWaitBitset: {
      uint32_t bitset = cmd == kWait ? ~0u : val3;
      OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, WaitDeadline(timeout, cmd, realtime));
      OSTD_TRY(FutexWait(self, uaddr, shared, val, bitset, deadline));
      return 0;
    }
    case kWake:
    case kWakeBitset: {
      uint32_t bitset = cmd == kWake ? ~0u : val3;
      OSTD_TRY_ASSIGN(int woken, FutexWake(mm, uaddr, shared, AsInt(val), bitset));
      return static_cast<uint64_t>(woken);
    }
    case kRequeue:
    case kCmpRequeue: {
      // The fourth argument is val2 (a count), not a timeout, for requeues.
      std::optional<uint32_t> cmp;
      if (cmd == kCmpRequeue) cmp = val3;
      OSTD_TRY_ASSIGN(int n,
                      FutexRequeue(mm, uaddr, uaddr2, shared, AsInt(val), AsInt(timeout), cmp));
      return static_cast<uint64_t>(n);
    }
    case kWakeOp: {
      OSTD_TRY_ASSIGN(int n,
                      FutexWakeOp(mm, uaddr, uaddr2, shared, AsInt(val), AsInt(timeout), val3));
      return static_cast<uint64_t>(n);
    }
    case kLockPi:
    case kLockPi2: {
      OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, WaitDeadline(timeout, cmd, realtime));
      OSTD_TRY(FutexLockPi(self, uaddr, shared, deadline, /*trylock=*/false));
      return 0;
    }
    case kTrylockPi:
      OSTD_TRY(FutexLockPi(self, uaddr, shared, std::nullopt, /*trylock=*/true));
      return 0;
    case kUnlockPi:
      OSTD_TRY(FutexUnlockPi(self, uaddr, shared));
      return 0;
    case kWaitRequeuePi: {
      OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, WaitDeadline(timeout, cmd, realtime));
      OSTD_TRY(FutexWaitRequeuePi(self, uaddr, val, uaddr2, shared, deadline));
      return 0;
    }
    case kCmpRequeuePi: {
      // As for FUTEX_CMP_REQUEUE, the fourth argument is the requeue count.
      OSTD_TRY_ASSIGN(int n, FutexCmpRequeuePi(mm, self.process().pid_ns(), uaddr, uaddr2, shared,
                                               AsInt(val), AsInt(timeout), val3));
      return static_cast<uint64_t>(n);
    }
    default:
      // FUTEX_FD (removed) and unknown commands.
      return Err(Errno::kENOSYS);
  }
}

// struct futex_waitv.
struct FutexWaitvUser {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
  OSTD_POD(FutexWaitvUser, val, uaddr, flags, reserved);
};

// futex_waitv(waiters, nr_futexes, flags, timeout, clockid): the timeout is
// absolute on `clockid` (CLOCK_MONOTONIC or CLOCK_REALTIME).
SyscallResult SysFutexWaitv(Thread& self, ostd::vm::UserInPtr<FutexWaitvUser> waiters,
                            uint32_t nr_futexes, uint32_t flags,
                            ostd::vm::UserInPtr<Timespec> timeout, int clockid) {
  constexpr int kClockRealtimeId = 0, kClockMonotonicId = 1;
  constexpr uint32_t kSizeMask = 0x3, kSizeU32 = 0x2, kPrivate2 = 128;
  if (flags != 0) return Err(Errno::kEINVAL);
  if (waiters.is_null() || nr_futexes == 0 || nr_futexes > kFutexWaitvMax) {
    return Err(Errno::kEINVAL);
  }
  std::optional<uint64_t> deadline;
  if (!timeout.is_null()) {
    if (clockid != kClockRealtimeId && clockid != kClockMonotonicId) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(deadline,
                    WaitDeadline(timeout.addr(), kWaitBitset, clockid == kClockRealtimeId));
  }
  ostd::Vec<FutexWaitvEntry> entries;  // on the heap: kernel stacks are small
  OSTD_TRY(entries.Resize(nr_futexes));
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                  ostd::vm::UserReader(waiters, nr_futexes));
  for (uint32_t i = 0; i < nr_futexes; ++i) {
    OSTD_TRY_ASSIGN(FutexWaitvUser u, r.ReadVal<FutexWaitvUser>());
    // A value wider than the 32-bit word is refused (Linux >= 6.7's
    // futex_validate_input; 6.1 compared the low half).
    if ((u.flags & ~(kSizeMask | kPrivate2)) != 0 || u.reserved != 0 ||
        (u.flags & kSizeMask) != kSizeU32 || u.val > 0xffffffffull) {
      return Err(Errno::kEINVAL);
    }
    entries[i] = FutexWaitvEntry{u.uaddr, u.val, (u.flags & kPrivate2) == 0};
  }
  OSTD_TRY_ASSIGN(int woken, FutexWaitv(self, entries.span(), deadline));
  return static_cast<uint64_t>(woken);
}

}  // namespace

void RegisterFutexSyscalls(SyscallTable& t) {
  t.Bind<sysno::futex, SysFutex>();
  t.Bind<sysno::futex_waitv, SysFutexWaitv>();
}

}  // namespace kernel
