// The exception table: which instructions may fault on user memory, and where
// each resumes when the fault cannot be resolved.
#include "ostd/internal/extable.h"

#include "arch/x86_64/cpu.h"
#include "ostd/internal/layout.h"
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
  if (ResolveUserFault(address, frame.error_code)) return true;
  frame.rip = entry->fixup;
  return true;
}

}  // namespace ostd::internal
