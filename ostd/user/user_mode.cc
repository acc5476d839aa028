#include "ostd/user/user_mode.h"

#include <cstddef>
#include <type_traits>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/panic.h"
#include "ostd/panic.h"
#include "ostd/platform/internal/current.h"
#include "ostd/user/internal/fpu.h"

extern "C" {
// arch/x86_64/syscall_entry.S.
uint64_t arch_user_enter(ostd::user::GeneralRegs* regs, uint64_t* tss_rsp0, uint64_t use_sysret);
void arch_syscall_entry();
void arch_user_trap_exit();
}

namespace ostd::user {
namespace {

constexpr uint64_t kReasonSyscall = 1;

// Offsets fixed in syscall_entry.S.
static_assert(offsetof(GeneralRegs, rax) == 0);
static_assert(offsetof(GeneralRegs, rcx) == 16);
static_assert(offsetof(GeneralRegs, rdi) == 40);
static_assert(offsetof(GeneralRegs, rsp) == 56);
static_assert(offsetof(GeneralRegs, r8) == 64);
static_assert(offsetof(GeneralRegs, r11) == 88);
static_assert(offsetof(GeneralRegs, r15) == 120);
static_assert(offsetof(GeneralRegs, rip) == 128);
static_assert(offsetof(GeneralRegs, rflags) == 136);
static_assert(offsetof(internal::CpuLocal, user_kernel_rsp) == 8);
static_assert(offsetof(internal::CpuLocal, user_scratch_rsp) == 16);
static_assert(offsetof(internal::CpuLocal, user_regs) == 24);
static_assert(std::is_standard_layout_v<UserContext>);

// sysretq #GPs in ring 0 on a non-canonical rcx (and on some CPUs faults on
// the last page below the canonical boundary): stay well below it.
constexpr uint64_t kSysretRipLimit = 0x00007ffffffff000ull;
constexpr uint64_t kFlagsTrap = 1ull << 8;
constexpr uint64_t kFlagsResume = 1ull << 16;
// Flags syscall clears: TF, IF, DF, IOPL, NT, AC.
constexpr uint64_t kSyscallMask = 0x47700;

bool IsCanonical(uint64_t a) {
  uint64_t top = a >> 47;
  return top == 0 || top == 0x1ffff;
}

}  // namespace

void UserMode::Begin() {
  // Entering user mode loads the FPU state from the context's area: a
  // moved-from context has none (it would load from address 0).
  if (context_.fpu_ == nullptr) {
    OSTD_PANIC("UserMode::Execute with a moved-from UserContext (it has no FPU state area)");
  }
  irqs_were_enabled_ = arch::InterruptsEnabled();
  arch::DisableInterrupts();
}

void UserMode::End() {
  if (irqs_were_enabled_) arch::EnableInterrupts();
}

bool UserMode::RunOnce() {
  UserContext& c = context_;
  GeneralRegs& r = c.regs_;
  r.rflags = SanitizeUserFlags(r.rflags);
  if (!IsCanonical(r.rip)) {
    // iretq would fault in ring 0: report the #GP user mode would have seen.
    c.fault_ = FaultInfo{kVectorGeneralProtection, 0, 0, r.rip};
    c.last_trap_ = TrapKind::kException;
    return true;
  }
  // sysretq reloads rip from rcx and rflags from r11: usable only when the
  // context still looks as `syscall` left it.
  bool sysret = c.last_trap_ == TrapKind::kSyscall && r.rcx == r.rip && r.r11 == r.rflags &&
                r.rip < kSysretRipLimit && (r.rflags & (kFlagsTrap | kFlagsResume)) == 0;
  internal::CpuLocal& cpu = internal::ThisCpu();
  // The FPU registers still hold this context's state if it was the last to
  // run user code here (the scheduler saves it before any task switch).
  if (cpu.fpu_owner != &c) {
    internal::SaveLiveUserFpu();
    fpu::Restore(c.fpu_);
    cpu.fpu_owner = &c;
  }
  // SAFETY: both bases are canonical (checked by the setters); the kernel
  // does not use FS, and the user GS base waits in KERNEL_GS_BASE for the
  // swapgs on the way out. User mode cannot change either (CR4.FSGSBASE is
  // off), so the cached values stay true while it runs.
  if (cpu.loaded_fs_base != c.fs_base_) {
    arch::WriteMsr(arch::kMsrFsBase, c.fs_base_);
    cpu.loaded_fs_base = c.fs_base_;
  }
  if (cpu.loaded_kernel_gs_base != c.gs_base_) {
    arch::WriteMsr(arch::kMsrKernelGsBase, c.gs_base_);
    cpu.loaded_kernel_gs_base = c.gs_base_;
  }
  // SAFETY: interrupts are disabled; arch_user_enter saves the kernel's
  // callee-saved registers, points TSS.rsp0 and the per-CPU return slot at
  // this stack, and returns here on the next syscall or trap from user mode.
  uint64_t reason = arch_user_enter(&r, arch::KernelStackSlot(&cpu.descriptors), sysret ? 1 : 0);
  if (reason == kReasonSyscall) {
    // Interrupts are still disabled (SFMASK): this CPU ran the user code,
    // and its FPU registers stay the context's until the next task switch.
    internal::ThisCpu().user_regs = nullptr;
    c.last_trap_ = TrapKind::kSyscall;
    return true;
  }
  // A trap: LeaveUserModeOnTrap saved the state.
  return c.last_trap_ == TrapKind::kException;
}

}  // namespace ostd::user

namespace ostd::internal {

void InitUserModeCpu() {
  user::fpu::InitCpu(ThisCpu().cpu_id == 0);
  // SAFETY: the GDT orders kernel code/data and user data/code as sysret
  // expects (arch/x86_64/descriptors.h); the entry point is our assembly stub;
  // SFMASK makes it start with interrupts off and AC clear.
  arch::WriteMsr(arch::kMsrStar,
                 (uint64_t{arch::kKernelDs & ~3u} << 48) | (uint64_t{arch::kKernelCs} << 32));
  arch::WriteMsr(arch::kMsrLstar, reinterpret_cast<uint64_t>(&arch_syscall_entry));
  arch::WriteMsr(arch::kMsrSfmask, user::kSyscallMask);
  // EFER reads are the TD's own; a write would raise #VE (the TDX module
  // sets SCE in a TD, and the host cannot change it), so write only if SCE
  // is missing, and then through the platform seam.
  uint64_t efer = arch::ReadMsr(arch::kMsrEfer);
  if ((efer & arch::kEferSce) == 0 &&
      !platform::Current().WriteMsr(arch::kMsrEfer, efer | arch::kEferSce).has_value()) {
    OSTD_PANIC("cannot enable syscall (EFER.SCE)");
  }
  // RDTSCP in user mode reads this CPU's id (cpu::UserCpuIdInTscAux).
  // SAFETY: IA32_TSC_AUX only feeds RDTSCP/RDPID; it exists when RDTSCP does.
  if (cpu::UserCpuIdInTscAux()) arch::WriteMsr(arch::kMsrTscAux, ThisCpu().cpu_id);
}

void SaveLiveUserFpu() {
  CpuLocal& cpu = ThisCpu();
  if (cpu.fpu_owner == nullptr) return;
  // SAFETY: fpu_owner is a live UserContext (contexts clear it when they are
  // destroyed or their area is replaced; see user_context.cc), and this CPU's
  // FPU registers hold its state.
  user::UserContext::SaveOwnedFpu(*static_cast<const user::UserContext*>(cpu.fpu_owner));
  cpu.fpu_owner = nullptr;
}

void LeaveUserModeOnTrap(arch::TrapFrame* frame) {
  CpuLocal& cpu = ThisCpu();
  if (cpu.user_regs == nullptr) {
    PanicWithFrame(*frame, "trap from user mode with no user context on this CPU");
  }
  // SAFETY: user_regs points at the first member of a standard-layout
  // UserContext that is inside UserMode::RunOnce on this CPU.
  user::UserContext& c = *reinterpret_cast<user::UserContext*>(cpu.user_regs);
  cpu.user_regs = nullptr;
  user::GeneralRegs& r = c.regs_;
  r.rax = frame->rax;
  r.rbx = frame->rbx;
  r.rcx = frame->rcx;
  r.rdx = frame->rdx;
  r.rsi = frame->rsi;
  r.rdi = frame->rdi;
  r.rbp = frame->rbp;
  r.rsp = frame->rsp;
  r.r8 = frame->r8;
  r.r9 = frame->r9;
  r.r10 = frame->r10;
  r.r11 = frame->r11;
  r.r12 = frame->r12;
  r.r13 = frame->r13;
  r.r14 = frame->r14;
  r.r15 = frame->r15;
  r.rip = frame->rip;
  r.rflags = frame->rflags;
  // The FPU state stays live in the registers (cpu.fpu_owner == &c), and the
  // FS/GS bases are what RunOnce loaded.
  if (frame->vector < 32) {
    c.last_trap_ = user::TrapKind::kException;
    c.fault_ = FaultInfo{static_cast<uint8_t>(frame->vector), frame->error_code,
                         frame->vector == kVectorPageFault ? arch::ReadCr2() : 0, frame->rip};
  } else {
    c.last_trap_ = user::TrapKind::kInterrupt;
  }
  // SAFETY: the trap now returns in ring 0, interrupts off, to the stub that
  // pops the callee-saved registers arch_user_enter pushed at user_kernel_rsp
  // (the stack of RunOnce, which the trap frame lies below).
  frame->rip = reinterpret_cast<uint64_t>(&arch_user_trap_exit);
  frame->cs = arch::kKernelCs;
  frame->ss = arch::kKernelDs;
  frame->rsp = cpu.user_kernel_rsp;
  frame->rflags = user::kFlagsReserved1;
}

}  // namespace ostd::internal
