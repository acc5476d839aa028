// The register state saved on every trap (exception, interrupt), in the order
// trap_entry.S pushes it. Internal to the TCB.
#ifndef ARCH_X86_64_TRAP_FRAME_H_
#define ARCH_X86_64_TRAP_FRAME_H_

#include <cstdint>

namespace arch {

struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector;
  uint64_t error_code;
  // Pushed by the CPU.
  uint64_t rip, cs, rflags, rsp, ss;

  bool from_user() const { return (cs & 3) != 0; }
};
static_assert(sizeof(TrapFrame) == 22 * 8);

// Callee-saved state for arch_try_call (see trap_entry.S).
struct RecoveryContext {
  uint64_t rbx, rbp, r12, r13, r14, r15, rsp;
};

}  // namespace arch

extern "C" {
// Called from trap_entry.S with the saved frame; defined by ostd.
void arch_trap_dispatch(arch::TrapFrame* frame);
// Calls fn(arg) and returns 0; if a trap handler redirects to arch_try_recover
// with `ctx` while fn runs, returns 1 instead, with the callee-saved registers
// and stack of the call restored.
uint64_t arch_try_call(void (*fn)(void*), void* arg, arch::RecoveryContext* ctx);
// Resume point a trap handler installs as the frame's rip (rdi = the context).
void arch_try_recover();
// The call target of probes on patchable function entries (trap_entry.S). It
// calls arch_probe_fentry_dispatch (defined by ostd, probe_trap.cc) with the
// frame it built, in Linux's pt_regs layout (ostd::patch::ProbeRegs).
void arch_probe_fentry();
// Base of 256 trap entry stubs, 16 bytes apart (stub for vector n at base + 16n).
extern const char arch_trap_stubs[];
}

#endif  // ARCH_X86_64_TRAP_FRAME_H_
