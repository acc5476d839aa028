// ktest helper: walks the kernel page table over a virtual range, skipping
// absent subtrees, and counts the leaf pages that are mapped and those that
// are writable and executable at once.
#ifndef OSTD_PATCH_INTERNAL_WX_WALK_H_
#define OSTD_PATCH_INTERNAL_WX_WALK_H_

#include <cstdint>

#include "ostd/boot.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/sync.h"

namespace ostd::patch::ktest_util {

struct WalkCounts {
  uint64_t mapped = 0;         // 4 KiB pages mapped (a large leaf counts its 4 KiB pages)
  uint64_t writable_exec = 0;  // of those, pages both writable and executable
  Vaddr first_wx = 0;          // first W+X page found, if any
};

// Entry `index` of the page-table page at physical address `table`.
inline uint64_t TableEntry(Paddr table, unsigned index) {
  // SAFETY: `table` is a page-table page of the kernel page table (reached from
  // its root under the page-table lock); 512 aligned 8-byte entries, read only.
  return reinterpret_cast<const uint64_t*>(internal::PhysToVirt(table))[index];
}

// Counts over [start, end) (both page aligned, in the kernel half).
inline WalkCounts WalkKernelRange(Vaddr start, Vaddr end) {
  namespace pte = mm::pte;
  WalkCounts counts;
  SpinLockGuard guard(internal::KernelPageTableLock());
  Paddr root = internal::KernelPageTable().root();
  Vaddr va = start;
  while (va < end) {
    Paddr table = root;
    for (int level = mm::kLevels; level >= 1; --level) {
      uint64_t span = mm::EntrySpan(level);
      uint64_t e = TableEntry(table, mm::TableIndex(va, level));
      Vaddr next = mm::AlignDown(va, span) + span;
      if (!(e & pte::kPresent)) {
        va = next;
        break;
      }
      if (level == 1 || (e & pte::kHuge)) {
        uint64_t pages = (next < end ? next - va : end - va) / mm::kPageSize;
        counts.mapped += pages;
        if ((e & pte::kWritable) && !(e & pte::kNoExecute)) {
          if (counts.writable_exec == 0) counts.first_wx = va;
          counts.writable_exec += pages;
        }
        va = next;
        break;
      }
      table = e & pte::kAddrMask;
    }
    if (va == 0) break;  // wrapped past the top of the address space
  }
  return counts;
}

inline WalkCounts WalkModuleArea() {
  return WalkKernelRange(internal::kModuleBase, internal::kModuleEnd);
}

}  // namespace ostd::patch::ktest_util

#endif  // OSTD_PATCH_INTERNAL_WX_WALK_H_
