// futex(2): enough for glibc's mutexes, condition variables and thread join.
#include "kernel/process/futex.h"

#include <cstdint>
#include <optional>

#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr uint64_t kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5,
                   kWaitBitset = 9, kWakeBitset = 10;
constexpr uint64_t kPrivate = 128, kClockRealtime = 256;

struct Timespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(Timespec, sec, nsec);
};

// futex(uaddr, op, val, timeout or val2, uaddr2, val3). uaddr is an address,
// not a pointer copied through: FutexWait reads the word itself.
SyscallResult SysFutex(Thread& self, uint64_t uaddr, int op_arg, uint32_t val, uint64_t timeout,
                       uint64_t uaddr2, uint32_t val3) {
  uint64_t op_bits = static_cast<uint32_t>(op_arg);
  uint64_t op = op_bits & ~(kPrivate | kClockRealtime);
  AddressSpace& mm = self.process().mm();
  switch (op) {
    case kWait:
    case kWaitBitset: {
      uint32_t bitset = op == kWait ? ~0u : val3;
      std::optional<uint64_t> deadline;
      if (timeout != 0) {
        OSTD_TRY_ASSIGN(Timespec ts,
                        ostd::vm::CopyFromUser(ostd::vm::UserInPtr<Timespec>(timeout)));
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1'000'000'000) return Err(Errno::kEINVAL);
        uint64_t ns =
            static_cast<uint64_t>(ts.sec) * 1'000'000'000 + static_cast<uint64_t>(ts.nsec);
        if (op == kWait) {
          deadline = MonotonicNs() + ns;  // relative
        } else if ((op_bits & kClockRealtime) != 0) {
          uint64_t now = RealtimeNs();
          deadline = MonotonicNs() + (ns > now ? ns - now : 0);
        } else {
          deadline = ns;  // absolute CLOCK_MONOTONIC
        }
      }
      OSTD_TRY(FutexWait(self, uaddr, val, bitset, deadline));
      return 0;
    }
    case kWake:
    case kWakeBitset: {
      if ((uaddr & 3) != 0) return Err(Errno::kEINVAL);
      uint32_t bitset = op == kWake ? ~0u : val3;
      if (bitset == 0) return Err(Errno::kEINVAL);
      return FutexWake(mm, uaddr, static_cast<int>(val > 0x7fffffff ? 0x7fffffff : val), bitset);
    }
    case kRequeue:
    case kCmpRequeue: {
      if ((uaddr & 3) != 0 || (uaddr2 & 3) != 0) return Err(Errno::kEINVAL);
      if (op == kCmpRequeue) {
        OSTD_TRY_ASSIGN(uint32_t cur, ostd::vm::CopyFromUser(ostd::vm::UserInPtr<uint32_t>(uaddr)));
        if (cur != val3) return Err(Errno::kEAGAIN);
      }
      int wake = static_cast<int>(val > 0x7fffffff ? 0x7fffffff : val);
      // The fourth argument is val2 (a count), not a timeout, for requeues.
      int requeue = static_cast<int>(timeout > 0x7fffffff ? 0x7fffffff : timeout);
      return FutexRequeue(mm, uaddr, uaddr2, wake, requeue);
    }
    case kWakeOp:
      return Err(Errno::kENOSYS);
    default:
      return Err(Errno::kENOSYS);
  }
}

}  // namespace

void RegisterFutexSyscalls(SyscallTable& t) { t.Bind<sysno::futex, SysFutex>(); }

}  // namespace kernel
