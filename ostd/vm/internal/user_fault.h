// Internal to ostd/vm (TCB): the link between the exception-table handler and VmSpace.
#ifndef OSTD_VM_INTERNAL_USER_FAULT_H_
#define OSTD_VM_INTERNAL_USER_FAULT_H_

#include <cstdint>

#include "ostd/boot.h"

namespace ostd::internal {

// Called for a kernel-mode page fault at user address `address` inside a
// user-access routine, with interrupts on if `may_sleep` (the hook may
// block) and off otherwise. Runs the page-fault hook on the space active on
// this CPU; true if the hook resolved the fault and the page table now
// allows the access (the caller then retries the instruction).
bool ResolveUserFault(Vaddr address, uint64_t error_code, bool may_sleep);

}  // namespace ostd::internal

#endif  // OSTD_VM_INTERNAL_USER_FAULT_H_
