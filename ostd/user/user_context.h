// The CPU state of a user thread: what UserMode::Execute loads into the CPU
// when it enters user mode and saves when it comes back.
#ifndef OSTD_USER_USER_CONTEXT_H_
#define OSTD_USER_USER_CONTEXT_H_

#include <array>
#include <cstdint>

#include "ostd/result.h"
#include "ostd/trap.h"
#include "ostd/vm/vm_io.h"

namespace arch {
struct TrapFrame;
}
namespace ostd::internal {
void LeaveUserModeOnTrap(arch::TrapFrame* frame);
void SaveLiveUserFpu();
}  // namespace ostd::internal

namespace ostd::user {

// The general-purpose registers, rip and rflags of a user thread. The layout
// is fixed: arch/x86_64/syscall_entry.S reads and writes it by offset.
// Plain values: any value may be stored (rflags is sanitized and rip checked
// when the context is entered; see UserContext::regs).
struct GeneralRegs {
  uint64_t rax = 0;     // syscall number on a syscall return; the result goes here
  uint64_t rbx = 0;     // callee-saved in the user ABI
  uint64_t rcx = 0;     // after `syscall`: the user rip it saved
  uint64_t rdx = 0;     // syscall argument 2
  uint64_t rsi = 0;     // syscall argument 1
  uint64_t rdi = 0;     // syscall argument 0
  uint64_t rbp = 0;     // frame pointer
  uint64_t rsp = 0;     // user stack pointer
  uint64_t r8 = 0;      // syscall argument 4
  uint64_t r9 = 0;      // syscall argument 5
  uint64_t r10 = 0;     // syscall argument 3
  uint64_t r11 = 0;     // after `syscall`: the user rflags it saved
  uint64_t r12 = 0;     // callee-saved in the user ABI
  uint64_t r13 = 0;     // callee-saved in the user ABI
  uint64_t r14 = 0;     // callee-saved in the user ABI
  uint64_t r15 = 0;     // callee-saved in the user ABI
  uint64_t rip = 0;     // the next user instruction
  uint64_t rflags = 0;  // as stored; entry applies SanitizeUserFlags
};

// RFLAGS bits user code may hold: CF, PF, AF, ZF, SF, TF, DF, OF, NT, AC,
// ID. IF is always set on entry; IOPL, RF, VM, VIF and VIP are always
// clear. NT is the user's (popf sets it, and Linux keeps it across system
// calls): in 64-bit mode it only makes an IRET fault, and the kernel never
// runs with it, since syscall's flag mask and every interrupt and trap
// gate clear it on entry.
inline constexpr uint64_t kUserFlagsMask = 0x0000000000244dd5ull;
inline constexpr uint64_t kFlagsInterrupt = 1ull << 9;  // IF: interrupts enabled
inline constexpr uint64_t kFlagsReserved1 = 1ull << 1;  // bit 1, which always reads as 1
// What rflags becomes in user mode when the kernel asks for `flags`.
constexpr uint64_t SanitizeUserFlags(uint64_t flags) {
  return (flags & kUserFlagsMask) | kFlagsInterrupt | kFlagsReserved1;
}

// Why the user thread last returned to the kernel.
enum class TrapKind : uint8_t { kNone, kSyscall, kException, kInterrupt };

// A user thread's registers, FS/GS bases and FPU/SSE/AVX state (an XSAVE area,
// or an FXSAVE area on CPUs without XSAVE). Not copyable (it owns the area);
// movable. A new context has all registers zero, rflags = IF, and the FPU in
// its initial state (x87 control word 0x37f, MXCSR 0x1f80, vector registers 0).
class UserContext {
 public:
  // ENOMEM if the FPU state area cannot be allocated.
  static Result<UserContext> Create();
  ~UserContext();
  // Takes over `other`'s registers, bases, last fault and FPU area (its live
  // FPU state is written back to the area first). `other` is left moved-from:
  // it has no FPU area, so SaveFpuState/LoadFpuState fail with EINVAL and
  // CopyFpuStateFrom does nothing, and UserMode::Execute with it panics
  // ("moved-from UserContext") instead of entering user mode.
  UserContext(UserContext&& other);
  // Frees this context's FPU area and takes over `other`'s state as the move
  // constructor does. `other` is left moved-from. Self-move does nothing.
  UserContext& operator=(UserContext&& other);
  UserContext(const UserContext&) = delete;
  UserContext& operator=(const UserContext&) = delete;

  // The general registers. Writes take effect at the next Execute; rflags is
  // sanitized then (see SanitizeUserFlags) and rip/rsp may be any value (a
  // non-canonical rip comes back from Execute as a #GP exception at that rip).
  GeneralRegs& regs() { return regs_; }
  // The general registers, read-only (as stored: rflags not yet sanitized).
  const GeneralRegs& regs() const { return regs_; }

  // Syscall view (Linux x86_64 convention): number in rax, arguments in rdi,
  // rsi, rdx, r10, r8, r9; the result goes to rax.
  uint64_t syscall_num() const { return regs_.rax; }
  uint64_t syscall_arg(int i) const;  // i in 0..5; 0 for other i
  // All six arguments in order (rdi, rsi, rdx, r10, r8, r9).
  std::array<uint64_t, 6> syscall_args() const {
    return {regs_.rdi, regs_.rsi, regs_.rdx, regs_.r10, regs_.r8, regs_.r9};
  }
  // Sets the syscall result (rax): a value, or a negated errno, as user space
  // expects it. Takes effect at the next Execute.
  void set_syscall_ret(uint64_t v) { regs_.rax = v; }

  // The user instruction pointer: after a syscall the instruction after it;
  // after a fault the faulting instruction (after a trap such as int3, the
  // next one).
  uint64_t rip() const { return regs_.rip; }
  // Sets where user mode resumes; any value (a non-canonical one comes back
  // from Execute as a #GP at that rip).
  void set_rip(uint64_t v) { regs_.rip = v; }
  // The user stack pointer.
  uint64_t rsp() const { return regs_.rsp; }
  // Sets the user stack pointer; any value (a bad one faults in user mode).
  void set_rsp(uint64_t v) { regs_.rsp = v; }
  // The flags as user mode sees them (IOPL 0, IF set).
  uint64_t rflags() const { return SanitizeUserFlags(regs_.rflags); }
  // Stores `v` as the flags; bits user mode may not hold are dropped (IF and
  // bit 1 set) when the context is entered (SanitizeUserFlags).
  void set_rflags(uint64_t v) { regs_.rflags = v; }

  // FS and GS base (arch_prctl ARCH_SET_FS/GS, ARCH_GET_FS/GS). EINVAL for a
  // non-canonical address (loading it would fault in the kernel).
  uint64_t fs_base() const { return fs_base_; }
  // Sets the FS base loaded at the next Execute. EINVAL (and no change) for a
  // non-canonical address.
  Status set_fs_base(uint64_t base);
  // The user GS base (what `swapgs` gives user mode).
  uint64_t gs_base() const { return gs_base_; }
  // Sets the user GS base loaded at the next Execute. EINVAL (and no change)
  // for a non-canonical address.
  Status set_gs_base(uint64_t base);

  // The last exception taken in user mode (valid after Execute returned
  // kException).
  const FaultInfo& fault() const { return fault_; }
  // How the context last left user mode.
  TrapKind last_trap() const { return last_trap_; }

  // Copies the FPU/SSE/AVX state of `other` into this context.
  void CopyFpuStateFrom(const UserContext& other);

  // Writes the FPU state image (FpuStateSize() bytes, the XSAVE or FXSAVE
  // layout) to `out`, for a signal frame. EFAULT (with nothing promised about
  // the bytes written) if `out` faults or is too small.
  Status SaveFpuState(vm::VmWriter<vm::Fallible>& out) const;
  // Replaces the FPU state with an image read from `in` (rt_sigreturn).
  // EFAULT if reading faults; EINVAL if the image would make the CPU fault
  // when loaded (reserved MXCSR bits, features outside those enabled, a
  // compacted or malformed XSAVE header). The state is unchanged on error.
  Status LoadFpuState(vm::VmReader<vm::Fallible>& in);

  // Size in bytes of every context's FPU state area (from CPUID 0xD with
  // XSAVE, 512 with FXSAVE).
  static uint64_t FpuStateSize();

 private:
  friend class UserMode;
  friend void ::ostd::internal::LeaveUserModeOnTrap(arch::TrapFrame* frame);
  friend void ::ostd::internal::SaveLiveUserFpu();
  // The FPU state of the context that last ran user code on a CPU stays in
  // that CPU's registers (CpuLocal::fpu_owner) until a task switch or one of
  // these: SyncFpu writes it back to the area (the area is read next),
  // DropLiveFpu forgets it (the area was replaced and must be loaded next).
  void SyncFpu() const;
  void DropLiveFpu() const;
  static void SaveOwnedFpu(const UserContext& c);
  explicit UserContext(uint8_t* fpu) : fpu_(fpu) {}

  GeneralRegs regs_;  // must stay first: the per-CPU pointer to it names the context
  uint64_t fs_base_ = 0;
  uint64_t gs_base_ = 0;
  FaultInfo fault_;
  TrapKind last_trap_ = TrapKind::kNone;
  uint8_t* fpu_;  // 64-byte aligned, FpuStateSize() bytes; nullptr once moved from
};

}  // namespace ostd::user

#endif  // OSTD_USER_USER_CONTEXT_H_
