// The #VE handler of a TDX guest (kernel only): every #VE is read with
// TDG.VP.VEINFO.GET, emulated by EmulateVe (ve.h) on the trap frame and
// resumed after the instruction. One it cannot emulate (an unsupported
// instruction, MMIO outside the kernel image's code, a host that refuses)
// is reported to the host with ReportFatalError and panics with the reason,
// as Linux does: a TD cannot go on after a kernel access it could not
// complete. A user-mode #VE that is MMIO or cannot be emulated is left to
// the dispatcher, which treats it as the process's exception.
// Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_VE_HANDLER_H_
#define OSTD_TDX_INTERNAL_VE_HANDLER_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"
#include "ostd/tdx/internal/tdcall.h"

namespace ostd::tdx {

// Makes HandleVe the dispatcher's #VE hook, talking to `guest` (which must
// live for the rest of the kernel's life) with shared bit `shared_bit`.
void InstallVeHandler(TdxGuest& guest, uint64_t shared_bit);

// Handles the trap in `frame` if it is a #VE (vector 20): true when it was
// emulated and `frame` resumes after the instruction; false for any other
// vector, before InstallVeHandler, and for a user-mode #VE it leaves to the
// process. Panics on a kernel-mode #VE it cannot emulate.
bool HandleVe(arch::TrapFrame& frame);

// #VEs emulated since boot.
uint64_t VesHandled();

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_VE_HANDLER_H_
