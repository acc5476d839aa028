// The exception table: which instructions may fault on user memory, and where
// each resumes when the fault cannot be resolved.
#include "ostd/internal/extable.h"

#include "arch/x86_64/cpu.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/trap.h"
#include "ostd/vm/internal/user_fault.h"

namespace {

// One entry, as user_copy.S emits it into section __ex_table.
struct ExTableEntry {
  uint64_t insn;   // address of an instruction that may fault on user memory
  uint64_t fixup;  // where to resume if the fault is not resolved
};

}  // namespace

// Bounds of section __ex_table (arch/x86_64/kernel.ld).
extern "C" const ExTableEntry __ex_table_start[], __ex_table_end[];

namespace ostd::internal {

bool HandleUserAccessFault(arch::TrapFrame& frame, uint64_t address) {
  if (frame.vector != kVectorPageFault || frame.from_user() || address >= kUserEnd) return false;
  const ExTableEntry* entry = nullptr;
  // SAFETY: the linker places whole ExTableEntry records between the two symbols.
  for (const ExTableEntry* e = __ex_table_start; e != __ex_table_end; ++e) {
    if (e->insn == frame.rip) {
      entry = e;
      break;
    }
  }
  if (entry == nullptr) return false;
  // The trap entry leaves RFLAGS.AC as the routine had it (set): clear it so
  // the hook runs with SMAP enforced. iretq restores it for the retry/fixup.
  arch::ClacIfSmap();
  // A routine called where its caller could block (interrupts were on and
  // preemption enabled) gets a hook that may block too: resolving the fault
  // may need I/O (a file page read from a disk). As Linux's page-fault
  // handler does, interrupts go back on for the hook; the trap frame lives
  // on this task's stack (#PF has no IST stack), so the task may sleep and
  // resume on another CPU, and they are off again before the trap returns.
  bool may_sleep = (frame.rflags & arch::kFlagsIf) != 0 && PreemptCount() == 0;
  if (may_sleep) arch::EnableInterrupts();
  bool resolved = ResolveUserFault(address, frame.error_code, may_sleep);
  if (may_sleep) arch::DisableInterrupts();
  if (resolved) return true;
  frame.rip = entry->fixup;
  return true;
}

}  // namespace ostd::internal
