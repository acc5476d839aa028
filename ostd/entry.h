// The entry point a kernel built on ostd defines.
//
// ostd boots the machine (boot info, memory, heap, traps, timer, console), then
// calls KernelMain() once on the boot CPU with interrupts enabled. A kernel that
// returns from it powers the machine off with success.
#ifndef OSTD_ENTRY_H_
#define OSTD_ENTRY_H_

#include "ostd/boot.h"

// Defined by exactly one library in each kernel image (kernel/, examples/, ktest/).
void KernelMain(const ostd::BootInfo& boot_info);

#endif  // OSTD_ENTRY_H_
