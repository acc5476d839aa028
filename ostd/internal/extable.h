// Exception-table fixups for ostd's user-memory access routines. Internal to
// the TCB; implemented in ostd/vm (extable.cc), called by trap.cc.
#ifndef OSTD_INTERNAL_EXTABLE_H_
#define OSTD_INTERNAL_EXTABLE_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"

namespace ostd::internal {

// Called for every kernel-mode page fault, before CatchFault regions and the
// panic path. If `frame->rip` is a user-access instruction listed in section
// __ex_table and `address` (CR2) is a user address, the fault belongs to a
// user copy: the kernel's page-fault hook (ostd::vm::SetPageFaultHandler) may
// resolve it, in which case the frame is left as is and the instruction is
// retried; otherwise the frame resumes at the instruction's fixup. Returns true
// in both cases, false if the fault is not a user-access fault (the frame is
// then untouched). Runs with interrupts disabled.
bool HandleUserAccessFault(arch::TrapFrame& frame, uint64_t address);

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_EXTABLE_H_
