// The TdcallPort of a real TD: the TDCALL instruction (arch/x86_64/tdx).
// Kernel only. Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_HW_TDCALL_H_
#define OSTD_TDX_INTERNAL_HW_TDCALL_H_

#include "ostd/tdx/internal/tdcall.h"

namespace ostd::tdx {

class HardwareTdcall final : public TdcallPort {
 public:
  // #UD outside a TD: construct only after IsTdxGuest.
  uint64_t Call(TdcallRegs& regs) override;
};

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_HW_TDCALL_H_
