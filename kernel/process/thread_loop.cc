#include "kernel/process/thread_loop.h"

#include <array>
#include <atomic>
#include <utility>

#include "kernel/process/exec.h"
#include "kernel/process/process.h"
#include "kernel/process/rseq.h"
#include "kernel/process/signal.h"
#include "kernel/syscalls/names.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/log.h"
#include "ostd/task/task.h"
#include "ostd/trap.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

// Page-fault error-code bits.
constexpr uint64_t kPfWrite = 1u << 1;
constexpr uint64_t kPfInstruction = 1u << 4;

// Unimplemented calls are logged once each.
std::array<std::atomic<uint64_t>, kSyscallCount / 64> logged_enosys;

void LogUnimplemented(uint64_t nr) {
  if (nr < kSyscallCount) {
    uint64_t bit = uint64_t{1} << (nr % 64);
    if ((logged_enosys[nr / 64].fetch_or(bit, std::memory_order_relaxed) & bit) != 0) return;
  }
  OSTD_LOG_WARN("syscall {} ({}) is not implemented: ENOSYS", SyscallName(nr), nr);
}

// Linux's pt_regs at syscall entry (syscall.h's SyscallArgs).
SyscallArgs PtRegsOf(const ostd::user::GeneralRegs& r) {
  constexpr uint64_t kUserCs = 0x33, kUserDs = 0x2b;
  constexpr uint64_t kEnosys = static_cast<uint64_t>(-static_cast<int64_t>(ostd::Errno::kENOSYS));
  return SyscallArgs{.pt = {r.r15, r.r14, r.r13, r.r12,   r.rbp,    r.rbx, r.r11,
                            r.r10, r.r9,  r.r8,  kEnosys, r.rcx,    r.rdx, r.rsi,
                            r.rdi, r.rax, r.rip, kUserCs, r.rflags, r.rsp, kUserDs}};
}

void HandleSyscall(Thread& t) {
  ostd::user::UserContext& ctx = t.context();
  uint64_t nr = ctx.syscall_num();
  const SyscallArgs args = PtRegsOf(ctx.regs());
  const SyscallTable::Entry& e = Syscalls().Lookup(nr);
  if (e.fn == nullptr) {
    LogUnimplemented(nr);
    ctx.set_syscall_ret(static_cast<uint64_t>(-static_cast<int64_t>(ostd::Errno::kENOSYS)));
    return;
  }
  Thread::SyscallTrace& trace = t.syscall_trace;
  for (size_t i = 0; i < trace.args.size(); ++i) {
    trace.args[i].store(args[i], std::memory_order_relaxed);
  }
  trace.sp.store(ctx.rsp(), std::memory_order_relaxed);
  trace.pc.store(ctx.rip(), std::memory_order_relaxed);
  trace.nr.store(static_cast<int64_t>(nr), std::memory_order_release);
  SyscallResult r = e.fn(args, t);
  trace.nr.store(-1, std::memory_order_release);
  bool no_intr = std::exchange(t.restart_no_intr, false);
  // Handlers that replace the whole context (execve, rt_sigreturn) return
  // the rax the new context must see.
  if (r) {
    ctx.set_syscall_ret(*r);
    return;
  }
  ctx.set_syscall_ret(static_cast<uint64_t>(-static_cast<int64_t>(r.error())));
  // Whether and when it restarts is decided by DeliverSignals (syscall_list.h).
  if (r.error() == ostd::Errno::kEINTR) {
    Restart how = no_intr ? Restart::kNoIntr : SpecOf(nr).restart;
    if (how != Restart::kNever) {
      t.restart_nr = static_cast<int64_t>(nr);
      t.restart_how = how;
    }
  }
}

void HandleException(Thread& t) {
  const ostd::FaultInfo& f = t.context().fault();
  if (f.vector == ostd::kVectorPageFault) {
    bool write = (f.error_code & kPfWrite) != 0;
    bool exec = (f.error_code & kPfInstruction) != 0;
    AddressSpace::FaultOutcome outcome = t.process().mm().ResolveFault(f.address, write, exec);
    if (outcome == AddressSpace::FaultOutcome::kResolved) return;
    if (outcome == AddressSpace::FaultOutcome::kNoMemory) {
      HandleOutOfMemory(t);  // then the access is retried (or the thread dies)
      return;
    }
    if (outcome == AddressSpace::FaultOutcome::kBusError) {
      // A file page past the end of the file, or one its disk cannot read.
      ForceSignal(t, kSigBus, f.address, kBusAdrerr);
      return;
    }
    // SEGV_ACCERR inside a mapping (a protection fault), SEGV_MAPERR outside.
    int32_t code = t.process().mm().IsMapped(f.address) ? kSegvAccerr : kSegvMaperr;
    ForceSignal(t, kSigSegv, f.address, code);
    return;
  }
  ForceSignal(t, SignalForException(f.vector), f.address, kSiKernel);
}

}  // namespace

void RunThread(Thread* t) {
  {
    ostd::SpinLockGuard guard(TreeLock());
    t->set_task(ostd::CurrentTaskRef());
    t->ApplySched();  // what the creator passed on (ThreadInit::sched)
  }
  ostd::SetCurrentVmSpace(t->process().mm().vm_space_ref());
  if (t->initial_exec != nullptr) {
    const InitialExec& e = *t->initial_exec;
    t->initial_exec = nullptr;
    ostd::Status s = Exec(*t, e.path, e.argv, e.envp);
    if (!s) {
      ostd::Println("keel: cannot run {}: {}", e.path, s.error());
      DoExit(ExitedStatus(127), *t);
    }
  }
  if (!t->set_child_tid.is_null()) {
    // CLONE_CHILD_SETTID: the id as the child's own namespace numbers it.
    (void)ostd::vm::CopyToUser(t->set_child_tid, int32_t{t->TidIn(t->process().pid_ns())});
  }
  while (!t->exiting.load(std::memory_order_acquire)) {
    RseqBeforeUser(*t);
    t->rseq_kick_seen = t->process().rseq_kick.load(std::memory_order_acquire);
    ostd::user::ReturnReason why = t->user_mode().Execute([t] {
      return ostd::ShouldYield() || t->exiting.load(std::memory_order_relaxed) ||
             t->HasPendingSignal() || t->process().stopped.load(std::memory_order_relaxed) ||
             t->process().rseq_kick.load(std::memory_order_relaxed) != t->rseq_kick_seen;
    });
    switch (why) {
      case ostd::user::ReturnReason::kSyscall:
        HandleSyscall(*t);
        break;
      case ostd::user::ReturnReason::kException:
        HandleException(*t);
        break;
      case ostd::user::ReturnReason::kKernelEvent:
        break;
    }
    if (ostd::ShouldYield()) ostd::Yield();
    // Interrupted in user mode, or about to run a signal handler: a
    // restartable sequence it was in starts over.
    bool pending = t->HasPendingSignal();
    if (why != ostd::user::ReturnReason::kSyscall || pending) RseqInterrupted(*t);
    // With no signal pending, no mask for it to restore and no call to
    // restart, DeliverSignals would do nothing: skip the call.
    if (pending || t->restore_mask_after_signal || t->restart_nr >= 0) DeliverSignals(*t);
    if (t->process().stopped.load(std::memory_order_acquire)) {
      WaitWhileStopped(*t);
      DeliverSignals(*t);  // SIGKILL or a SIGCONT handler
    }
  }
  FinishThread(t);
}

}  // namespace kernel
