// The trap side of the probe API (TCB-only): how ostd's trap dispatcher hands
// kernel-mode #BP and #DB exceptions, and faults raised by an instruction
// running out of line, to the probe core (ostd/patch/probe_trap.cc).
#ifndef OSTD_INTERNAL_PROBE_HOOKS_H_
#define OSTD_INTERNAL_PROBE_HOOKS_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"

namespace ostd::internal {

// Each CPU's #BP IST stack has this many levels of this size. A breakpoint
// taken in ordinary kernel code runs its handlers on the top level; while they
// run, the TSS's #BP stack pointer is lowered by one level, so a breakpoint
// hit inside a handler (counted as missed, stepped without handlers) and the
// trap that ends its out-of-line step land on the second level instead of
// overwriting the first trap's frame.
inline constexpr uint64_t kProbeStackLevels = 2;
inline constexpr uint64_t kProbeStackLevelSize = 16384;

// A kernel-mode #BP (int3). True if it was a probe's (the frame now resumes
// the probed code correctly), false if no probe owns the address (a real
// breakpoint: the caller reports it). Interrupts off.
bool HandleKernelBreakpoint(arch::TrapFrame& frame);

// A kernel-mode #DB. Probes never single-step; a stray one (a TF left set,
// e.g. by popf of a value with TF) is cleared and counted. Interrupts off.
void HandleKernelDebug(arch::TrapFrame& frame);

// Called for every kernel-mode exception other than #BP/#DB before it is
// handled: if the faulting instruction is one a probe is running out of
// line on this CPU, the frame is moved back to the probed address (and the
// probe state of this CPU reset), so fault fixups and messages see the
// original instruction.
void ProbeFaultFixup(arch::TrapFrame& frame);

// Kernel-mode #DB exceptions cleared by HandleKernelDebug since boot.
uint64_t StrayDebugTraps();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_PROBE_HOOKS_H_
