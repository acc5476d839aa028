#include "kernel/process/signal.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <optional>

#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/trap.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

namespace {

// The x86_64 signal frame, as Linux lays it out (arch/x86/include/asm/sigframe.h).
struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // user address of the FPU state image, or 0
  std::array<uint64_t, 8> reserved1;
  OSTD_POD(SigContext, r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp,
           rip, eflags, cs, gs, fs, ss, err, trapno, oldmask, cr2, fpstate, reserved1);
};
static_assert(sizeof(SigContext) == 256);

struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
  OSTD_POD(StackT, sp, flags, pad, size);
};

struct UContext {
  uint64_t flags;
  uint64_t link;
  StackT stack;
  SigContext mcontext;
  uint64_t sigmask;
  OSTD_POD(UContext, flags, link, stack, mcontext, sigmask);
};
static_assert(sizeof(UContext) == 304);
static_assert(offsetof(UContext, sigmask) == 296);

struct SigInfoAbi {
  int32_t signo;
  int32_t errno_;
  int32_t code;
  int32_t pad0;
  // The union at 16: kill {pid, uid}, sigchld {pid, uid, status, utime, stime},
  // sigfault {addr}.
  std::array<uint64_t, 14> word;
  OSTD_POD(SigInfoAbi, signo, errno_, code, pad0, word);
};
static_assert(sizeof(SigInfoAbi) == 128);

struct SigFrame {
  uint64_t pretcode;  // sa_restorer: the handler returns into it
  UContext uc;
  SigInfoAbi info;
  OSTD_POD(SigFrame, pretcode, uc, info);
};
static_assert(sizeof(SigFrame) == 440);

constexpr uint64_t kUcFpXstate = 0x1;
constexpr uint64_t kUserCs = 0x33;  // what Linux reports for 64-bit user code
constexpr uint64_t kUserSs = 0x2b;

bool IsFaultSignal(int sig) {
  return sig == kSigSegv || sig == kSigBus || sig == kSigFpe || sig == kSigIll || sig == kSigTrap;
}

SigInfoAbi ToAbi(int sig, const SigInfo& i) {
  SigInfoAbi a{};
  a.signo = sig;
  a.errno_ = i.errno_;
  a.code = i.code;
  SigLayout layout = LayoutOf(sig, i.code);
  // Keel raises CPU exceptions with SI_KERNEL but still reports the address.
  if (layout == SigLayout::kFault || (IsFaultSignal(sig) && i.code == kSiKernel)) {
    a.word[0] = i.addr;
  } else if (layout == SigLayout::kTimer) {
    a.word[0] = uint64_t{static_cast<uint32_t>(i.timerid)} |
                uint64_t{static_cast<uint32_t>(i.overrun)} << 32;
    a.word[1] = i.value;
  } else if (layout == SigLayout::kRt) {
    a.word[0] = uint64_t{static_cast<uint32_t>(i.pid)} | uint64_t{i.uid} << 32;
    a.word[1] = i.value;
  } else if (layout == SigLayout::kPoll) {
    a.word[0] = i.value;                          // si_band
    a.word[1] = static_cast<uint32_t>(i.status);  // si_fd
  } else {
    a.word[0] = uint64_t{static_cast<uint32_t>(i.pid)} | uint64_t{i.uid} << 32;
    a.word[1] = static_cast<uint32_t>(i.status);
  }
  return a;
}

// Defined with the signalfd watcher state below.
void NotifySignalWatchers();

// The lowest-numbered deliverable signal in `set`, or 0.
int LowestSignal(SigSet set) { return set == 0 ? 0 : std::countr_zero(set) + 1; }

// Linux's next_signal(): synchronous (fault) signals go first.
constexpr SigSet kSynchronous = SigBit(kSigSegv) | SigBit(kSigBus) | SigBit(kSigIll) |
                                SigBit(kSigTrap) | SigBit(kSigFpe) | SigBit(kSigSys);
int NextSignal(SigSet set) {
  if ((set & kSynchronous) != 0) set &= kSynchronous;
  return LowestSignal(set);
}

}  // namespace

DefaultAction DefaultActionOf(int sig) {
  switch (sig) {
    case kSigChld:
    case kSigUrg:
    case kSigWinch:
      return DefaultAction::kIgnore;
    case kSigCont:
      return DefaultAction::kContinue;
    case kSigStop:
    case kSigTstp:
    case kSigTtin:
    case kSigTtou:
      return DefaultAction::kStop;
    case kSigQuit:
    case kSigIll:
    case kSigTrap:
    case kSigAbrt:
    case kSigBus:
    case kSigFpe:
    case kSigSegv:
    case kSigXcpu:
    case kSigXfsz:
    case kSigSys:
      return DefaultAction::kCoreDump;
    default:
      return DefaultAction::kTerminate;  // including the real-time signals
  }
}

int SignalForException(uint8_t vector) {
  switch (vector) {
    case ostd::kVectorDivideError:
      return kSigFpe;
    case 16:  // #MF x87 floating point
    case 19:  // #XM SIMD floating point
      return kSigFpe;
    case ostd::kVectorInvalidOpcode:
      return kSigIll;
    case ostd::kVectorBreakpoint:
    case 1:  // #DB
      return kSigTrap;
    case 17:  // #AC alignment check
      return kSigBus;
    default:
      return kSigSegv;  // #PF, #GP, #SS, #NP, ...
  }
}

Result<ostd::RefPtr<SignalHandlers>> SignalHandlers::Create() {
  return ostd::MakeRef<SignalHandlers>();
}

Result<ostd::RefPtr<SignalHandlers>> SignalHandlers::Clone() const {
  OSTD_TRY_ASSIGN(ostd::RefPtr<SignalHandlers> h, Create());
  ostd::SpinLockGuard guard(lock_);
  ostd::SpinLockGuard guard2(h->lock_);
  h->actions_ = actions_;
  return h;
}

KernelSigaction SignalHandlers::Get(int sig) const {
  ostd::SpinLockGuard guard(lock_);
  return actions_[sig - 1];
}

void SignalHandlers::Set(int sig, const KernelSigaction& action) {
  ostd::SpinLockGuard guard(lock_);
  actions_[sig - 1] = action;
}

void SignalHandlers::ResetForExec() {
  ostd::SpinLockGuard guard(lock_);
  for (KernelSigaction& a : actions_) {
    if (a.handler != kSigIgn) a = KernelSigaction{};
    a.flags = 0;
    a.mask = 0;
    a.restorer = 0;
  }
}

bool Thread::HasPendingSignal() const {
  // A thread that must exit stops waiting too (exit_group, fatal signals).
  if (exiting.load(std::memory_order_acquire)) return true;
  SigSet pending = pending_.set() | process_->pending.set();
  return (pending & ~mask_.load(std::memory_order_acquire)) != 0;
}

void Thread::set_mask(SigSet m) { mask_.store(m & ~kUnblockable, std::memory_order_release); }

void Thread::Kick() {
  ostd::WaitQueue* wq = sleeping_on_.load(std::memory_order_seq_cst);
  if (wq != nullptr) wq->WakeAll();
  // Blocking file operations wait through fs::WaitForChange.
  fs::InterruptWaitOfTask(task_id());
}

namespace {

// Linux's sig_ignored(): a signal that would be ignored on delivery is
// dropped when sent (so it never interrupts a sleep), unless blocked. The
// global init (`unkillable`: pid 1, and the signal not a forced fault) takes
// only the signals it has a handler for, SIGKILL included, as Linux's
// SIGNAL_UNKILLABLE: "the only signals that can be sent to the init process
// are those for which init has explicitly installed signal handlers".
bool DroppedOnSend(SignalHandlers* handlers, int sig, SigSet blocked, bool unkillable) {
  if (handlers == nullptr) return false;
  if (sig != kSigKill && (blocked & SigBit(sig)) != 0) return false;
  KernelSigaction a = handlers->Get(sig);
  if (unkillable && (sig == kSigKill || a.handler == kSigDfl)) return true;
  if (sig == kSigKill) return false;
  if (a.handler == kSigIgn) return true;
  if (a.handler != kSigDfl) return false;
  DefaultAction d = DefaultActionOf(sig);
  return d == DefaultAction::kIgnore || d == DefaultAction::kContinue;
}

}  // namespace

ostd::Status Thread::TrySendSignal(int sig, const SigInfo& info) {
  if (sig < 1 || sig > kNumSignals) return {};
  if (DroppedOnSend(process_->handlers_ptr(), sig, mask(), process_->Unkillable(sig, info))) {
    return {};
  }
  OSTD_TRY(pending_.Add(sig, info, process_->sig_charge()));
  NotifySignalWatchers();
  Kick();
  return {};
}

namespace {

// Drops `set` from `p`'s shared queue and every thread's own (Linux's
// flush_sigqueue_mask over the thread group).
void DiscardPendingLocked(Process& p, SigSet set) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  p.pending.Discard(set);
  p.ForEachThreadLocked([&](Thread& t) { t.pending_queue().Discard(set); });
}

}  // namespace

void DiscardPendingSignals(Process& p, SigSet set) {
  ostd::SpinLockGuard guard(TreeLock());
  DiscardPendingLocked(p, set);
}

ostd::Status Process::TrySendSignal(int sig, const SigInfo& info) {
  if (sig < 1 || sig > kNumSignals) return {};
  // SIGCONT resumes a stopped process whatever its disposition, and cancels
  // pending stops; a stop signal cancels a pending SIGCONT (Linux's
  // prepare_signal(), in the process's queue and its threads').
  constexpr SigSet kStops =
      SigBit(kSigStop) | SigBit(kSigTstp) | SigBit(kSigTtin) | SigBit(kSigTtou);
  if (sig == kSigCont) {
    DiscardPendingLocked(*this, kStops);
    ContinueProcessLocked(*this);
  } else if ((SigBit(sig) & kStops) != 0) {
    DiscardPendingLocked(*this, SigBit(kSigCont));
  }
  // Dropped only if every thread would ignore it (blocked in none of them).
  SigSet blocked_somewhere = 0;
  ForEachThreadLocked([&](Thread& t) { blocked_somewhere |= t.mask(); });
  if (DroppedOnSend(handlers_.get(), sig, blocked_somewhere, Unkillable(sig, info))) return {};
  OSTD_TRY(pending.Add(sig, info, sig_charge()));
  NotifySignalWatchers();
  // SIGKILL ends the process whatever it does (a stopped one too).
  if (sig == kSigKill) {
    stop_wait.WakeAll();
    ExitGroupLocked(*this, SignaledStatus(kSigKill));
    return {};
  }
  ForEachThreadLocked([&](Thread& t) {
    if ((t.mask() & SigBit(sig)) == 0) t.Kick();
  });
  return {};
}

void ForceSignal(Thread& t, int sig, uint64_t addr, int32_t code) {
  // Blocked or ignored: the default action (Linux's force_sig_fault).
  KernelSigaction a = t.process().handlers().Get(sig);
  if ((t.mask() & SigBit(sig)) != 0 || a.handler == kSigIgn) {
    t.set_mask(t.mask() & ~SigBit(sig));
    t.process().handlers().Set(sig, KernelSigaction{});
  }
  t.SendSignal(sig, SigInfo{.code = code, .addr = addr, .forced = true});
}

namespace {

// Makes the interrupted system call run again on return to user mode: the
// `syscall` instruction (2 bytes) with its number back in rax.
void RewindSyscall(Thread& t) {
  ostd::user::GeneralRegs& r = t.context().regs();
  r.rax = static_cast<uint64_t>(t.restart_nr);
  r.rip -= 2;
  t.restart_nr = -1;
}

}  // namespace

std::optional<TakenSignal> TakeSignal(Thread& t, SigSet allowed) {
  Process& p = t.process();
  for (;;) {
    int sig = NextSignal(t.pending_.set() & allowed);
    bool from_process = sig == 0;
    if (from_process) sig = NextSignal(p.pending.set() & allowed);
    if (sig == 0) return std::nullopt;
    std::optional<SigInfo> info = from_process ? p.pending.Take(sig) : t.pending_.Take(sig);
    if (!info) continue;  // another thread took it meanwhile: look again
    if (info->posix_timer) PosixTimerSignalTaken(p, *info);
    return TakenSignal{sig, *info};
  }
}

ostd::Status CopySigInfoToUser(ostd::vm::UserOutPtr<void> dst, int sig, const SigInfo& info) {
  return ostd::vm::CopyToUser(dst.Cast<SigInfoAbi>(), ToAbi(sig, info));
}

Result<SigInfo> CopySigInfoFromUser(ostd::vm::UserInPtr<void> src, int sig) {
  OSTD_TRY_ASSIGN(SigInfoAbi a, ostd::vm::CopyFromUser(src.Cast<SigInfoAbi>()));
  SigInfo i{.code = a.code, .errno_ = a.errno_};
  uint32_t lo = static_cast<uint32_t>(a.word[0]);
  uint32_t hi = static_cast<uint32_t>(a.word[0] >> 32);
  switch (LayoutOf(sig, a.code)) {
    case SigLayout::kFault:
      i.addr = a.word[0];
      break;
    case SigLayout::kTimer:
      i.timerid = static_cast<int32_t>(lo);
      i.overrun = static_cast<int32_t>(hi);
      i.value = a.word[1];
      break;
    case SigLayout::kPoll:
      i.value = a.word[0];
      i.status = static_cast<int32_t>(static_cast<uint32_t>(a.word[1]));
      break;
    case SigLayout::kRt:
      i.value = a.word[1];
      i.pid = static_cast<int32_t>(lo);
      i.uid = hi;
      break;
    default:
      i.pid = static_cast<int32_t>(lo);
      i.uid = hi;
      i.status = static_cast<int32_t>(static_cast<uint32_t>(a.word[1]));
      break;
  }
  return i;
}

SigLayout LayoutOf(int sig, int32_t code) {
  constexpr int32_t kNSigPoll = 6;
  if (code > kSiUser && code < kSiKernel) {
    switch (sig) {
      case kSigIll:
        return code <= 11 ? SigLayout::kFault : SigLayout::kKill;
      case kSigFpe:
        return code <= 15 ? SigLayout::kFault : SigLayout::kKill;
      case kSigSegv:
        return code <= 10 ? SigLayout::kFault : SigLayout::kKill;
      case kSigBus:
        return code <= 5 ? SigLayout::kFault : SigLayout::kKill;
      case kSigTrap:
        return code <= 6 ? SigLayout::kFault : SigLayout::kKill;
      case kSigChld:
        return code <= 6 ? SigLayout::kChld : SigLayout::kKill;
      case kSigIo:
        return code <= kNSigPoll ? SigLayout::kPoll : SigLayout::kKill;
      case kSigSys:
        return code <= 2 ? SigLayout::kSys : SigLayout::kKill;
      default:
        return code <= kNSigPoll ? SigLayout::kPoll : SigLayout::kKill;
    }
  }
  if (code == kSiTimer) return SigLayout::kTimer;
  if (code == kSiSigio) return SigLayout::kPoll;
  if (code < 0) return SigLayout::kRt;
  return SigLayout::kKill;
}

namespace {

fs::Waitable g_signal_waitable;
std::atomic<uint32_t> g_signal_watchers{0};

// A signal became pending: signalfd readers and pollers look again.
void NotifySignalWatchers() {
  if (g_signal_watchers.load(std::memory_order_acquire) != 0) g_signal_waitable.Notify();
}

fs::Waitable g_exit_waitable;

}  // namespace

fs::Waitable& ProcessExitWaitable() { return g_exit_waitable; }
void NotifyProcessExit() { g_exit_waitable.Notify(); }

fs::Waitable& SignalWaitable() { return g_signal_waitable; }
void AddSignalWatcher() { g_signal_watchers.fetch_add(1, std::memory_order_acq_rel); }
void RemoveSignalWatcher() { g_signal_watchers.fetch_sub(1, std::memory_order_acq_rel); }

void DeliverSignals(Thread& t) {
  // When no handler runs: the mask rt_sigsuspend/ppoll/pselect6 installed
  // comes back, and a call interrupted for the signal restarts if its
  // restart rule allows (syscall_list.h).
  // (RunThread skips this call when no signal is pending and neither of
  // these waits: keep its condition in step with this guard.)
  struct RestartIfUnused {
    Thread& t;
    ~RestartIfUnused() {
      if (t.exiting.load(std::memory_order_acquire)) return;
      if (t.restore_mask_after_signal) {
        t.set_mask(t.saved_mask);
        t.restore_mask_after_signal = false;
      }
      if (t.restart_nr < 0) return;
      if (RestartAfterSignal(t.restart_how,
                             /*handler_ran=*/false, /*sa_restart=*/false)) {
        RewindSyscall(t);
      } else {
        t.restart_nr = -1;
      }
    }
  } restart_guard{t};
  Process& p = t.process();
  SigSet mask = t.mask();
  std::optional<TakenSignal> taken = TakeSignal(t, ~mask);
  if (!taken) return;
  int sig = taken->sig;
  SigInfo info = taken->info;
  KernelSigaction action = p.handlers().Get(sig);
  if (sig == kSigKill || action.handler == kSigDfl) {
    // Init: a signal queued while blocked, with the default action by now
    // (Linux's get_signal skips it for SIGNAL_UNKILLABLE; a namespace's
    // init still takes the SIGKILL or SIGSTOP that got through).
    if (!info.forced && (p.pid() == 1 || (p.ns_init && sig != kSigKill && sig != kSigStop))) {
      return;
    }
    switch (DefaultActionOf(sig)) {
      case DefaultAction::kIgnore:
      case DefaultAction::kContinue:
        return;
      case DefaultAction::kStop:
        StopProcess(p, sig);
        return;
      case DefaultAction::kCoreDump:
        ExitGroup(p, SignaledStatus(sig) | 0x80);
        t.exiting.store(true, std::memory_order_release);
        return;
      case DefaultAction::kTerminate:
        ExitGroup(p, SignaledStatus(sig));
        t.exiting.store(true, std::memory_order_release);
        return;
    }
  }
  if (action.handler == kSigIgn) return;
  // After rt_sigsuspend the handler's frame carries the mask from before it.
  if (t.restore_mask_after_signal) {
    mask = t.saved_mask;
    t.restore_mask_after_signal = false;
  }

  if (t.restart_nr >= 0) {
    if (RestartAfterSignal(t.restart_how,
                           /*handler_ran=*/true, (action.flags & kSaRestart) != 0)) {
      RewindSyscall(t);  // the handler returns into the call again
    } else {
      t.restart_nr = -1;  // EINTR stands
    }
  }

  // Build the frame on the user stack (or the alternate one).
  ostd::user::UserContext& ctx = t.context();
  const ostd::user::GeneralRegs& r = ctx.regs();
  uint64_t sp = r.rsp;
  if ((action.flags & kSaOnStack) != 0 && AltStackMode(t, sp) == 0) {
    sp = t.altstack_sp + t.altstack_size;
  }
  sp -= 128;  // the red zone
  uint64_t fpu_size = ostd::user::UserContext::FpuStateSize();
  uint64_t fpstate = (sp - fpu_size) & ~uint64_t{63};
  uint64_t frame_addr = ((fpstate - sizeof(SigFrame)) & ~uint64_t{15}) - 8;

  SigFrame frame{};
  frame.pretcode = action.restorer;
  frame.uc.flags = kUcFpXstate;
  // The stack as set, raw (Linux's unsafe_save_altstack): rt_sigreturn
  // puts it back.
  frame.uc.stack = StackT{t.altstack_sp, t.altstack_flags, 0, t.altstack_size};
  SigContext& m = frame.uc.mcontext;
  m.r8 = r.r8, m.r9 = r.r9, m.r10 = r.r10, m.r11 = r.r11, m.r12 = r.r12, m.r13 = r.r13;
  m.r14 = r.r14, m.r15 = r.r15, m.rdi = r.rdi, m.rsi = r.rsi, m.rbp = r.rbp, m.rbx = r.rbx;
  m.rdx = r.rdx, m.rax = r.rax, m.rcx = r.rcx, m.rsp = r.rsp, m.rip = r.rip;
  m.eflags = ctx.rflags();
  m.cs = kUserCs;
  m.ss = kUserSs;
  m.err = ctx.fault().error_code;
  m.trapno = ctx.fault().vector;
  m.oldmask = mask;
  m.cr2 = info.addr;
  m.fpstate = fpstate;
  frame.uc.sigmask = mask;
  frame.info = ToAbi(sig, info);

  ostd::vm::VmSpace& vm = p.mm().vm_space();
  Status written = [&]() -> Status {
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> fw, vm.Writer(fpstate, fpu_size));
    OSTD_TRY(ctx.SaveFpuState(fw));
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, vm.Writer(frame_addr, sizeof frame));
    return w.WriteVal(frame);
  }();
  if (!written) {
    // No room for the frame: the process dies of SIGSEGV, as on Linux.
    ExitGroup(p, SignaledStatus(kSigSegv) | 0x80);
    t.exiting.store(true, std::memory_order_release);
    return;
  }
  ostd::user::GeneralRegs& w = ctx.regs();
  w.rdi = static_cast<uint64_t>(sig);
  w.rsi = frame_addr + offsetof(SigFrame, info);
  w.rdx = frame_addr + offsetof(SigFrame, uc);
  w.rax = 0;
  w.rsp = frame_addr;
  w.rip = action.handler;
  // DF and TF clear in the handler.
  ctx.set_rflags(ctx.rflags() & ~((1ull << 10) | (1ull << 8)));
  SigSet new_mask = mask | action.mask;
  if ((action.flags & kSaNoDefer) == 0) new_mask |= SigBit(sig);
  t.set_mask(new_mask);
  if ((action.flags & kSaResetHand) != 0) p.handlers().Set(sig, KernelSigaction{});
  // SS_AUTODISARM: the handler runs with no alternate stack (so it may
  // switch contexts away from it); rt_sigreturn restores it.
  if ((t.altstack_flags & kSsAutoDisarm) != 0) {
    t.altstack_sp = 0;
    t.altstack_size = 0;
    t.altstack_flags = kSsDisable;
  }
}

int32_t AltStackMode(const Thread& t, uint64_t sp) {
  if (t.altstack_size == 0) return kSsDisable;
  if ((t.altstack_flags & kSsAutoDisarm) != 0) return 0;
  // Linux's __on_sig_stack: above the base, at most at the top.
  bool on = sp > t.altstack_sp && sp - t.altstack_sp <= t.altstack_size;
  return on ? kSsOnStack : 0;
}

Status SetAltStack(Thread& t, uint64_t sp, uint64_t base, int32_t flags, uint64_t size,
                   uint64_t min_size) {
  if (AltStackMode(t, sp) == kSsOnStack) return Err(Errno::kEPERM);
  int32_t mode = flags & ~kSsAutoDisarm;
  if (mode != kSsDisable && mode != kSsOnStack && mode != 0) return Err(Errno::kEINVAL);
  if (mode == kSsDisable) {
    base = 0;
    size = 0;
  } else if (size < min_size) {
    return Err(Errno::kENOMEM);
  }
  t.altstack_sp = base;
  t.altstack_size = size;
  t.altstack_flags = flags;
  return {};
}

Result<uint64_t> SigReturn(Thread& t) {
  ostd::user::UserContext& ctx = t.context();
  // `ret` into the restorer popped pretcode: the ucontext is at rsp.
  uint64_t uc_addr = ctx.rsp();
  ostd::vm::VmSpace& vm = t.process().mm().vm_space();
  Result<UContext> uc = [&]() -> Result<UContext> {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> rd,
                    vm.Reader(uc_addr, sizeof(UContext)));
    return rd.ReadVal<UContext>();
  }();
  if (!uc) {
    ForceSignal(t, kSigSegv, uc_addr, kSiKernel);
    return Err(Errno::kEFAULT);
  }
  const SigContext& m = uc->mcontext;
  if (m.fpstate != 0) {
    uint64_t size = ostd::user::UserContext::FpuStateSize();
    Result<ostd::vm::VmReader<ostd::vm::Fallible>> fr = vm.Reader(m.fpstate, size);
    Status loaded = fr ? ctx.LoadFpuState(*fr) : Status(Err(fr.error()));
    if (!loaded) {
      ForceSignal(t, kSigSegv, m.fpstate, kSiKernel);
      return Err(Errno::kEFAULT);
    }
  }
  ostd::user::GeneralRegs& r = ctx.regs();
  r.r8 = m.r8, r.r9 = m.r9, r.r10 = m.r10, r.r11 = m.r11, r.r12 = m.r12, r.r13 = m.r13;
  r.r14 = m.r14, r.r15 = m.r15, r.rdi = m.rdi, r.rsi = m.rsi, r.rbp = m.rbp, r.rbx = m.rbx;
  r.rdx = m.rdx, r.rcx = m.rcx, r.rsp = m.rsp, r.rip = m.rip;
  ctx.set_rflags(m.eflags);  // sanitized on the way to user mode
  t.set_mask(uc->sigmask);
  constexpr uint64_t kMinSigStkSz = 2048;  // MINSIGSTKSZ
  (void)SetAltStack(t, r.rsp, uc->stack.sp, uc->stack.flags, uc->stack.size, kMinSigStkSz);
  return m.rax;
}

bool MaySignal(const Process& sender, const Process& target, uint64_t sig) {
  if (&sender == &target || creds::MaySignal(sender.creds(), target.creds())) return true;
  return sig == kSigCont && sender.sid() == target.sid();
}

}  // namespace kernel
