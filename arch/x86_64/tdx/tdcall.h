// The TDCALL instruction (tdcall.S). Internal to the TCB.
#ifndef ARCH_X86_64_TDX_TDCALL_H_
#define ARCH_X86_64_TDX_TDCALL_H_

#include <cstdint>

extern "C" {
// Executes TDCALL with the eleven registers at `regs` (rax, rcx, rdx,
// r8..r15, in that order; updated in place) and returns rax. #UD outside a TD.
uint64_t arch_tdcall(uint64_t* regs);
}

#endif  // ARCH_X86_64_TDX_TDCALL_H_
