#include "ostd/tdx/internal/hw_tdcall.h"

#include "arch/x86_64/tdx/tdcall.h"

namespace ostd::tdx {

uint64_t HardwareTdcall::Call(TdcallRegs& regs) {
  uint64_t r[11] = {regs.rax, regs.rcx, regs.rdx, regs.r8,  regs.r9, regs.r10,
                    regs.r11, regs.r12, regs.r13, regs.r14, regs.r15};
  // SAFETY: arch_tdcall reads and writes exactly the 11 words of `r`; the
  // memory a leaf touches through the GPAs in them is the TdxGuest caller's
  // contract; HardwareTdcall is constructed only in a TD (IsTdxGuest).
  uint64_t status = arch_tdcall(r);
  regs = TdcallRegs{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10]};
  return status;
}

}  // namespace ostd::tdx
