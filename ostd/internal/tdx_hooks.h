// How ostd's trap dispatcher hands a virtualization exception (#VE) to the
// TDX guest code (ostd/tdx/internal/ve_handler.h). Internal to the TCB.
#ifndef OSTD_INTERNAL_TDX_HOOKS_H_
#define OSTD_INTERNAL_TDX_HOOKS_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"

namespace ostd::internal {

// #VE: raised in a TD for instructions and accesses the TDX module leaves
// to the guest (ostd/tdx/internal/ve.h).
inline constexpr uint8_t kVectorVirtualization = 20;

// Returns true if it handled the trap (the frame is updated to resume).
using TdxTrapHook = bool (*)(arch::TrapFrame& frame);

// Installs the hook the dispatcher calls first for every #VE and #PF (a
// `tdx_sim` kernel turns page faults in a simulated MMIO window into #VEs).
// Null uninstalls. Interrupts may be on; takes effect for the next trap.
void SetTdxTrapHook(TdxTrapHook hook);

// At the very start of boot, before the console: if cpuid leaf 0x21 says
// this is a TD, brings up the TDX guest side over the TDCALL instruction
// (ostd/tdx/internal/guest.h), so the console and idle loop use TDVMCALLs
// and later #VEs are emulated. Returns whether it did. Defined in
// ostd/tdx/guest.cc.
bool InitTdxGuestAtBoot();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_TDX_HOOKS_H_
