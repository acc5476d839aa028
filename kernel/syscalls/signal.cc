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
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

bool ValidSignal(uint64_t sig) { return sig >= 1 && sig <= kNumSignals; }

SyscallResult SysRtSigaction(Thread& self, int signum, UserInPtr<KernelSigaction> act_ptr,
                             UserOutPtr<KernelSigaction> old_ptr, uint64_t sigsetsize) {
  uint64_t sig = static_cast<uint32_t>(signum);
  if (!ValidSignal(sig) || sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SignalHandlers& h = self.process().handlers();
  KernelSigaction old = h.Get(static_cast<int>(sig));
  if (!act_ptr.is_null()) {
    OSTD_TRY_ASSIGN(KernelSigaction act, CopyFromUser(act_ptr));
    if (sig == kSigKill || sig == kSigStop) return Err(Errno::kEINVAL);
    act.mask &= ~kUnblockable;
    h.Set(static_cast<int>(sig), act);
    // A signal that becomes ignored (SIG_IGN, or SIG_DFL where the default
    // is to ignore) loses its pending instances, in the process's queue and
    // every thread's (POSIX; Linux's do_sigaction).
    DefaultAction d = DefaultActionOf(static_cast<int>(sig));
    if (act.handler == kSigIgn || (act.handler == kSigDfl && (d == DefaultAction::kIgnore ||
                                                              d == DefaultAction::kContinue))) {
      DiscardPendingSignals(self.process(), SigBit(static_cast<int>(sig)));
    }
  }
  if (!old_ptr.is_null()) OSTD_TRY(CopyToUser(old_ptr, old));
  return 0;
}

SyscallResult SysRtSigprocmask(Thread& self, int how_arg, UserInPtr<SigSet> set_ptr,
                               UserOutPtr<SigSet> old_ptr, uint64_t sigsetsize) {
  constexpr uint64_t kBlock = 0, kUnblock = 1, kSetmask = 2;
  uint64_t how = static_cast<uint32_t>(how_arg);
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet old = self.mask();
  if (!set_ptr.is_null()) {
    if (how > kSetmask) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(SigSet set, CopyFromUser(set_ptr));
    SigSet next = how == kBlock ? (old | set) : how == kUnblock ? (old & ~set) : set;
    self.set_mask(next);
  }
  if (!old_ptr.is_null()) OSTD_TRY(CopyToUser(old_ptr, old));
  return 0;
}

SyscallResult SysRtSigreturn(Thread& self) { return SigReturn(self); }

// restart_syscall(2): Keel restarts an interrupted call by running it again
// with its arguments (kernel/syscalls/syscall_list.h), so there is never a
// restart block to resume; called directly, it is EINTR, as Linux's
// do_no_restart_syscall.
SyscallResult SysRestartSyscall(Thread&) { return Err(Errno::kEINTR); }

SyscallResult SysRtSigpending(Thread& self, UserOutPtr<SigSet> set, uint64_t sigsetsize) {
  if (sigsetsize > sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet pending = (self.pending_signals() | self.process().pending.set()) & self.mask();
  OSTD_TRY(CopyToUser(set, pending));
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

SyscallResult SysRtSigsuspend(Thread& self, UserInPtr<SigSet> mask_ptr, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet mask, CopyFromUser(mask_ptr));
  return SuspendWith(self, mask);
}

SyscallResult SysPause(Thread& self) {
  ostd::WaitQueue never;
  (void)self.WaitInterruptible(never, [] { return false; });
  return Err(Errno::kEINTR);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize): waits for a signal in
// `set` and takes it without running a handler. The signals in `set` are
// unblocked while it waits (so that they wake it), as on Linux; another
// unblocked signal ends the wait with EINTR; EAGAIN when the timeout ends.
// info: a siginfo_t written by CopySigInfoToUser; timeout: read by
// RelativeDeadline (timeout.h).
SyscallResult SysRtSigtimedwait(Thread& self, UserInPtr<SigSet> set_ptr, UserOutPtr<void> info,
                                UserInPtr<KernelTimespec> timeout, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SigSet set, CopyFromUser(set_ptr));
  set &= ~kUnblockable;
  OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, RelativeDeadline(timeout));
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
  if (!info.is_null()) OSTD_TRY(CopySigInfoToUser(info, taken->sig, taken->info));
  return static_cast<uint64_t>(taken->sig);
}

// The siginfo of kill(2) and tkill(2) from `self` to `target`: the sender's
// pid as the target's namespace numbers it (0 if it cannot see the sender).
SigInfo UserInfo(Thread& self, int32_t code, const Process& target) {
  int pid = self.process().PidIn(target.pid_ns());
  return SigInfo{
      .code = code, .pid = pid, .uid = self.process().creds().uid, .from_outside_ns = pid == 0};
}

SyscallResult SysKill(Thread& self, int pid, int signum) {
  uint64_t sig = static_cast<uint32_t>(signum);
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  const PidNamespace& ns = self.process().pid_ns();
  if (pid > 0) {
    Process* target = nullptr;
    {
      ostd::SpinLockGuard guard(TreeLock());
      target = FindProcessInLocked(ns, pid);
      if (target == nullptr || target->thread_count() == 0) {
        // A zombie still exists for kill(2), but nothing happens to it.
        if (target == nullptr) return Err(Errno::kESRCH);
        return 0;
      }
      if (!MaySignal(self.process(), *target, sig)) return Err(Errno::kEPERM);
      // Sending under the tree lock keeps the target alive.
      if (sig != 0) target->SendSignal(static_cast<int>(sig), UserInfo(self, kSiUser, *target));
    }
    return 0;
  }
  // -INT_MIN names nothing (Linux checks it before negating).
  if (pid == INT32_MIN) return Err(Errno::kESRCH);
  // A group (pid 0: ours; < -1: -pid) or everyone we may signal (-1): every
  // process our namespace sees but its init (pid 1 there) and ourselves.
  bool found = false;
  bool permitted = false;
  {
    ostd::SpinLockGuard guard(TreeLock());
    int pgid = pid == 0 ? self.process().pgid() : pid == -1 ? 0 : GlobalPidLocked(ns, -pid);
    for (const ostd::Box<Process>& p : process_internal::AllProcesses()) {
      bool match = pid == -1 ? (p->PidIn(ns) > 1 && p.get() != &self.process()) : p->pgid() == pgid;
      if (!match || p->thread_count() == 0) continue;
      found = true;
      if (!MaySignal(self.process(), *p, sig)) continue;
      permitted = true;
      if (sig != 0) p->SendSignal(static_cast<int>(sig), UserInfo(self, kSiUser, *p));
    }
  }
  if (!found) return Err(Errno::kESRCH);
  if (!permitted) return Err(Errno::kEPERM);
  return 0;
}

SyscallResult SignalThread(Thread& self, int tgid, int tid, uint64_t sig) {
  if (tid <= 0 || (sig != 0 && !ValidSignal(sig))) return Err(Errno::kEINVAL);
  ostd::SpinLockGuard guard(TreeLock());
  const PidNamespace& ns = self.process().pid_ns();
  Thread* t = FindThreadInLocked(ns, tid);
  if (t == nullptr || (tgid > 0 && t->process().PidIn(ns) != tgid)) return Err(Errno::kESRCH);
  if (!MaySignal(self.process(), t->process(), sig)) return Err(Errno::kEPERM);
  // A real-time signal past RLIMIT_SIGPENDING: EAGAIN (sig_queue.h).
  SigInfo info = UserInfo(self, kSiTkill, t->process());
  if (sig == kSigKill) {
    t->process().SendSignal(kSigKill, info);
  } else if (sig != 0) {
    OSTD_TRY(t->TrySendSignal(static_cast<int>(sig), info));
  }
  return 0;
}

SyscallResult SysTgkill(Thread& self, int tgid, int tid, int sig) {
  if (tgid <= 0) return Err(Errno::kEINVAL);
  return SignalThread(self, tgid, tid, static_cast<uint32_t>(sig));
}

SyscallResult SysTkill(Thread& self, int tid, int sig) {
  return SignalThread(self, 0, tid, static_cast<uint32_t>(sig));
}

// rt_sigqueueinfo/rt_tgsigqueueinfo: only the caller itself may be sent a
// siginfo that claims to come from kill(2), tkill(2) or the kernel
// (si_code >= 0 or SI_TKILL): EPERM for another target, as Linux checks
// against the calling thread's id. EAGAIN: a real-time signal past the
// target's RLIMIT_SIGPENDING (sig_queue.h).
bool ForgesKernelInfo(Thread& self, const SigInfo& info, int target) {
  return (info.code >= 0 || info.code == kSiTkill) && self.TidIn(self.process().pid_ns()) != target;
}

// rt_sigqueueinfo(pid, sig, info): sends `sig` with the caller's siginfo_t
// (128 bytes, read by CopySigInfoFromUser) to process `pid`. EFAULT, EPERM
// (see ForgesKernelInfo, or no permission to signal), ESRCH, EINVAL (sig).
SyscallResult SysRtSigqueueinfo(Thread& self, int pid, int signum, UserInPtr<void> uinfo) {
  OSTD_TRY_ASSIGN(SigInfo info, CopySigInfoFromUser(uinfo, signum));
  if (ForgesKernelInfo(self, info, pid)) return Err(Errno::kEPERM);
  uint64_t sig = static_cast<uint32_t>(signum);
  if (pid <= 0) return Err(Errno::kESRCH);
  ostd::SpinLockGuard guard(TreeLock());
  // Any thread's id names its process (Linux's kill_pid_info).
  const PidNamespace& ns = self.process().pid_ns();
  Process* target = FindProcessInLocked(ns, pid);
  if (target == nullptr) {
    Thread* t = FindThreadInLocked(ns, pid);
    if (t != nullptr) target = &t->process();
  }
  if (target == nullptr) return Err(Errno::kESRCH);
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  if (!MaySignal(self.process(), *target, sig)) return Err(Errno::kEPERM);
  // A zombie takes nothing; sending under the tree lock keeps the target
  // alive. EAGAIN: a real-time signal past RLIMIT_SIGPENDING (sig_queue.h).
  // From a namespace that cannot see the target's (Linux clears si_pid).
  if (self.process().PidIn(target->pid_ns()) == 0) {
    info.pid = 0;
    info.from_outside_ns = true;
  }
  if (sig != 0 && target->thread_count() > 0) {
    OSTD_TRY(target->TrySendSignal(static_cast<int>(sig), info));
  }
  return 0;
}

// rt_tgsigqueueinfo(tgid, tid, sig, info): the same for thread `tid` of
// process `tgid`. EINVAL for tgid or tid <= 0.
SyscallResult SysRtTgsigqueueinfo(Thread& self, int tgid, int tid, int signum,
                                  UserInPtr<void> uinfo) {
  OSTD_TRY_ASSIGN(SigInfo info, CopySigInfoFromUser(uinfo, signum));
  if (tgid <= 0 || tid <= 0) return Err(Errno::kEINVAL);
  if (ForgesKernelInfo(self, info, tid)) return Err(Errno::kEPERM);
  uint64_t sig = static_cast<uint32_t>(signum);
  ostd::SpinLockGuard guard(TreeLock());
  const PidNamespace& ns = self.process().pid_ns();
  Thread* t = FindThreadInLocked(ns, tid);
  if (t == nullptr || t->process().PidIn(ns) != tgid) return Err(Errno::kESRCH);
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  if (!MaySignal(self.process(), t->process(), sig)) return Err(Errno::kEPERM);
  if (self.process().PidIn(t->process().pid_ns()) == 0) {
    info.pid = 0;
    info.from_outside_ns = true;
  }
  if (sig == kSigKill) {
    t->process().SendSignal(kSigKill, info);
  } else if (sig != 0) {
    OSTD_TRY(t->TrySendSignal(static_cast<int>(sig), info));
  }
  return 0;
}

struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
  OSTD_POD(StackT, sp, flags, pad, size);
};

// sigaltstack(ss, old): as Linux's sys_sigaltstack, the new stack is read
// first, the old one taken before the change and written only if the
// change succeeded (see SetAltStack for the rules).
SyscallResult SysSigaltstack(Thread& self, UserInPtr<StackT> ss_ptr, UserOutPtr<StackT> old_ptr) {
  constexpr uint64_t kMinSigStkSz = 2048;  // MINSIGSTKSZ
  uint64_t rsp = self.context().rsp();
  StackT old{self.altstack_sp, AltStackMode(self, rsp) | (self.altstack_flags & kSsAutoDisarm), 0,
             self.altstack_size};
  if (!ss_ptr.is_null()) {
    OSTD_TRY_ASSIGN(StackT ss, CopyFromUser(ss_ptr));
    OSTD_TRY(SetAltStack(self, rsp, ss.sp, ss.flags, ss.size, kMinSigStkSz));
  }
  if (!old_ptr.is_null()) OSTD_TRY(CopyToUser(old_ptr, old));
  return 0;
}

}  // namespace

void RegisterPosixTimerSyscalls(SyscallTable& t);  // posix_timer.cc

void RegisterSignalSyscalls(SyscallTable& t) {
  t.Bind<sysno::rt_sigaction, SysRtSigaction>();
  t.Bind<sysno::rt_sigprocmask, SysRtSigprocmask>();
  t.Bind<sysno::rt_sigreturn, SysRtSigreturn>();
  t.Bind<sysno::restart_syscall, SysRestartSyscall>();
  t.Bind<sysno::rt_sigpending, SysRtSigpending>();
  t.Bind<sysno::rt_sigsuspend, SysRtSigsuspend>();
  t.Bind<sysno::pause, SysPause>();
  t.Bind<sysno::rt_sigtimedwait, SysRtSigtimedwait>();
  t.Bind<sysno::kill, SysKill>();
  t.Bind<sysno::tgkill, SysTgkill>();
  t.Bind<sysno::tkill, SysTkill>();
  t.Bind<sysno::rt_sigqueueinfo, SysRtSigqueueinfo>();
  t.Bind<sysno::rt_tgsigqueueinfo, SysRtTgsigqueueinfo>();
  t.Bind<sysno::sigaltstack, SysSigaltstack>();
  RegisterPosixTimerSyscalls(t);
}

}  // namespace kernel
