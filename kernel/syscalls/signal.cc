// Signals: dispositions, masks, sending, waiting and returning from handlers.
#include "kernel/process/signal.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/timeout.h"
#include "ostd/pod.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserPtr;

bool ValidSignal(uint64_t sig) { return sig >= 1 && sig <= kNumSignals; }

SyscallResult SysRtSigaction(Thread& self, const SyscallArgs& a) {
  uint64_t sig = a[0];
  if (!ValidSignal(sig) || a[3] != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SignalHandlers& h = self.process().handlers();
  KernelSigaction old = h.Get(static_cast<int>(sig));
  if (a[1] != 0) {
    OSTD_TRY_ASSIGN(KernelSigaction act, CopyFromUser(UserPtr<KernelSigaction>(a[1])));
    if (sig == kSigKill || sig == kSigStop) return Err(Errno::kEINVAL);
    act.mask &= ~kUnblockable;
    h.Set(static_cast<int>(sig), act);
    // Setting SIG_IGN discards a pending instance (POSIX).
    if (act.handler == kSigIgn) {
      self.process().pending.fetch_and(~SigBit(static_cast<int>(sig)));
    }
  }
  if (a[2] != 0) OSTD_TRY(CopyToUser(UserPtr<KernelSigaction>(a[2]), old));
  return 0;
}

SyscallResult SysRtSigprocmask(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kBlock = 0, kUnblock = 1, kSetmask = 2;
  if (a[3] != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet old = self.mask();
  if (a[1] != 0) {
    if (a[0] > kSetmask) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(SigSet set, CopyFromUser(UserPtr<SigSet>(a[1])));
    SigSet next = a[0] == kBlock ? (old | set) : a[0] == kUnblock ? (old & ~set) : set;
    self.set_mask(next);
  }
  if (a[2] != 0) OSTD_TRY(CopyToUser(UserPtr<SigSet>(a[2]), old));
  return 0;
}

SyscallResult SysRtSigreturn(Thread& self, const SyscallArgs&) { return SigReturn(self); }

SyscallResult SysRtSigpending(Thread& self, const SyscallArgs& a) {
  if (a[1] > sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet pending = (self.pending_signals() | self.process().pending.load()) & self.mask();
  OSTD_TRY(CopyToUser(UserPtr<SigSet>(a[0]), pending));
  return 0;
}

// Waits until a signal is delivered; the handler runs with the old mask
// restored afterwards (see restore_mask_after_signal).
SyscallResult SuspendWith(Thread& self, SigSet mask) {
  self.saved_mask = self.mask();
  self.restore_mask_after_signal = true;
  self.set_mask(mask);
  ostd::WaitQueue never;
  (void)self.WaitInterruptible(never, [] { return false; });
  return Err(Errno::kEINTR);
}

SyscallResult SysRtSigsuspend(Thread& self, const SyscallArgs& a) {
  if (a[1] != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet mask, CopyFromUser(UserPtr<SigSet>(a[0])));
  return SuspendWith(self, mask);
}

SyscallResult SysPause(Thread& self, const SyscallArgs&) {
  ostd::WaitQueue never;
  (void)self.WaitInterruptible(never, [] { return false; });
  return Err(Errno::kEINTR);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize): waits for a signal in
// `set` and takes it without running a handler. The signals in `set` are
// unblocked while it waits (so that they wake it), as on Linux; another
// unblocked signal ends the wait with EINTR; EAGAIN when the timeout ends.
SyscallResult SysRtSigtimedwait(Thread& self, const SyscallArgs& a) {
  if (a[3] != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet set, CopyFromUser(UserPtr<SigSet>(a[0])));
  set &= ~kUnblockable;
  OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, RelativeDeadline(a[2]));
  SigSet saved = self.mask();
  std::optional<TakenSignal> taken;
  for (;;) {
    taken = TakeSignal(self, set);
    if (taken) break;
    if (self.HasPendingSignal()) return Err(Errno::kEINTR);  // another signal
    if (deadline && ostd::timer::NowNanos() >= *deadline) return Err(Errno::kEAGAIN);
    self.set_mask(saved & ~set);
    if (deadline) {
      // Timed waits poll at tick granularity, as futex waits do.
      uint64_t now = ostd::timer::NowNanos();
      if (now < *deadline && !self.HasPendingSignal()) {
        ostd::SleepFor(std::min<uint64_t>(*deadline - now, 4'000'000));
      }
    } else {
      ostd::WaitQueue never;
      (void)self.WaitInterruptible(never, [] { return false; });
    }
    self.set_mask(saved);
  }
  if (a[1] != 0) OSTD_TRY(CopySigInfoToUser(a[1], taken->sig, taken->info));
  return static_cast<uint64_t>(taken->sig);
}

SigInfo UserInfo(Thread& self, int32_t code) {
  return SigInfo{.code = code, .pid = self.process().pid(), .uid = self.process().creds().uid};
}

// May `self` signal `target`? Root, or a matching real/effective uid.
bool MaySignal(Thread& self, Process& target) {
  const Credentials& me = self.process().creds();
  const Credentials& them = target.creds();
  return me.IsRoot() || me.uid == them.uid || me.euid == them.uid || me.uid == them.suid ||
         me.euid == them.suid;
}

SyscallResult SysKill(Thread& self, const SyscallArgs& a) {
  int pid = static_cast<int32_t>(a[0]);
  uint64_t sig = a[1];
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  SigInfo info = UserInfo(self, kSiUser);
  if (pid > 0) {
    Process* target = nullptr;
    {
      ostd::SpinLockGuard guard(TreeLock());
      target = FindProcessLocked(pid);
      if (target == nullptr || target->thread_count() == 0) {
        // A zombie still exists for kill(2), but nothing happens to it.
        if (target == nullptr) return Err(Errno::kESRCH);
        return 0;
      }
      if (!MaySignal(self, *target)) return Err(Errno::kEPERM);
      // Sending under the tree lock keeps the target alive.
      if (sig != 0) target->SendSignal(static_cast<int>(sig), info);
    }
    return 0;
  }
  // A group (pid 0: ours; < -1: -pid) or everyone we may signal (-1).
  int pgid = pid == 0 ? self.process().pgid() : -pid;
  bool found = false;
  bool permitted = false;
  {
    ostd::SpinLockGuard guard(TreeLock());
    for (const ostd::Box<Process>& p : process_internal::AllProcesses()) {
      bool match = pid == -1 ? (p->pid() != 1 && p.get() != &self.process()) : p->pgid() == pgid;
      if (!match || p->thread_count() == 0) continue;
      found = true;
      if (!MaySignal(self, *p)) continue;
      permitted = true;
      if (sig != 0) p->SendSignal(static_cast<int>(sig), info);
    }
  }
  if (!found) return Err(Errno::kESRCH);
  if (!permitted) return Err(Errno::kEPERM);
  return 0;
}

SyscallResult SignalThread(Thread& self, int tgid, int tid, uint64_t sig) {
  if (tid <= 0 || (sig != 0 && !ValidSignal(sig))) return Err(Errno::kEINVAL);
  ostd::SpinLockGuard guard(TreeLock());
  Thread* t = FindThreadLocked(tid);
  if (t == nullptr || (tgid > 0 && t->process().pid() != tgid)) return Err(Errno::kESRCH);
  if (!MaySignal(self, t->process())) return Err(Errno::kEPERM);
  if (sig == kSigKill) {
    t->process().SendSignal(kSigKill, UserInfo(self, kSiTkill));
  } else if (sig != 0) {
    t->SendSignal(static_cast<int>(sig), UserInfo(self, kSiTkill));
  }
  return 0;
}

SyscallResult SysTgkill(Thread& self, const SyscallArgs& a) {
  int tgid = static_cast<int32_t>(a[0]);
  if (tgid <= 0) return Err(Errno::kEINVAL);
  return SignalThread(self, tgid, static_cast<int32_t>(a[1]), a[2]);
}

SyscallResult SysTkill(Thread& self, const SyscallArgs& a) {
  return SignalThread(self, 0, static_cast<int32_t>(a[0]), a[1]);
}

SyscallResult SysSigaltstack(Thread& self, const SyscallArgs& a) {
  struct StackT {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
    OSTD_POD(StackT, sp, flags, pad, size);
  };
  constexpr int32_t kOnStack = 1, kDisable = 2;
  constexpr uint64_t kMinSigStkSz = 2048;
  uint64_t rsp = self.context().rsp();
  bool on_stack = self.altstack_flags != kDisable && rsp - self.altstack_sp < self.altstack_size;
  if (a[1] != 0) {
    StackT old{self.altstack_sp, on_stack ? kOnStack : self.altstack_flags, 0, self.altstack_size};
    OSTD_TRY(CopyToUser(UserPtr<StackT>(a[1]), old));
  }
  if (a[0] != 0) {
    OSTD_TRY_ASSIGN(StackT ss, CopyFromUser(UserPtr<StackT>(a[0])));
    if (on_stack) return Err(Errno::kEPERM);
    if ((ss.flags & ~(kDisable | 0x80000000)) != 0) return Err(Errno::kEINVAL);  // SS_AUTODISARM ok
    if ((ss.flags & kDisable) != 0) {
      self.altstack_flags = kDisable;
      self.altstack_sp = 0;
      self.altstack_size = 0;
    } else {
      if (ss.size < kMinSigStkSz) return Err(Errno::kENOMEM);
      self.altstack_flags = 0;
      self.altstack_sp = ss.sp;
      self.altstack_size = ss.size;
    }
  }
  return 0;
}

}  // namespace

void RegisterSignalSyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::rt_sigaction, SysRtSigaction>();
  t.BindUntyped<sysno::rt_sigprocmask, SysRtSigprocmask>();
  t.BindUntyped<sysno::rt_sigreturn, SysRtSigreturn>();
  t.BindUntyped<sysno::rt_sigpending, SysRtSigpending>();
  t.BindUntyped<sysno::rt_sigsuspend, SysRtSigsuspend>();
  t.BindUntyped<sysno::pause, SysPause>();
  t.BindUntyped<sysno::rt_sigtimedwait, SysRtSigtimedwait>();
  t.BindUntyped<sysno::kill, SysKill>();
  t.BindUntyped<sysno::tgkill, SysTgkill>();
  t.BindUntyped<sysno::tkill, SysTkill>();
  t.BindUntyped<sysno::sigaltstack, SysSigaltstack>();
}

}  // namespace kernel
