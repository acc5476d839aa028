// Memory-management set-up and kernel page tables. Internal to the TCB.
#ifndef OSTD_INTERNAL_MM_H_
#define OSTD_INTERNAL_MM_H_

#include <cstdint>
#include <optional>
#include <span>

#include "ostd/boot.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/result.h"
#include "ostd/sync.h"

namespace ostd::internal {

// Boot order: InitFrameAllocator, InitKernelPageTable, InitHeap.
void InitFrameAllocator(std::span<const MemoryRegion> map);
void InitKernelPageTable(std::span<const MemoryRegion> map);
void InitHeap();

// Frames the frame allocator manages: every frame it can hand out is below this.
uint64_t ManagedFrameCount();

struct Mapping {
  Paddr paddr;  // physical address of the queried byte
  uint64_t page_size;
  mm::PageFlags flags;
};

// A 4-level page table reached through the linear map. Not locked: callers hold
// the lock of whatever owns the table.
class PageTable {
 public:
  explicit PageTable(Paddr root) : root_(root) {}
  Paddr root() const { return root_; }

  // Maps [va, va+size) to [pa, pa+size) with one entry of `size` (4 KiB, 2 MiB
  // or 1 GiB). EINVAL: misaligned or non-canonical; EEXIST: something is mapped
  // there; ENOMEM: no frame for an intermediate table.
  Status Map(Vaddr va, Paddr pa, uint64_t size, mm::PageFlags flags);
  // Removes the leaf mapping va and returns its physical base and size.
  // ENOENT if nothing is mapped. Does not flush the TLB.
  Result<Mapping> Unmap(Vaddr va);
  // Changes the flags of the leaf mapping va. ENOENT if unmapped. No TLB flush.
  Status Protect(Vaddr va, mm::PageFlags flags);
  // Clears the dirty bit (D) of the leaf mapping va. True if it was set (a
  // TLB may still hold the entry as dirty: flush it); false if it was clear
  // or nothing is mapped. No TLB flush.
  bool ClearDirty(Vaddr va);
  std::optional<Mapping> Query(Vaddr va) const;
  // Removes every mapping in [va, end) (both 4 KiB aligned), splitting a large
  // page that straddles either end into smaller pages with the same flags.
  // ENOMEM if a split finds no frame (what was removed so far stays removed);
  // EINVAL if misaligned or non-canonical. Does not flush the TLB.
  Status UnmapRange(Vaddr va, Vaddr end);
  // The first mapped page at or above `from` and below `end`: its virtual base
  // and mapping. Skips empty subtrees a whole table entry at a time, so sparse
  // ranges cost time proportional to what is mapped, not to their size.
  struct Found {
    Vaddr vaddr;  // base of the page (aligned to mapping.page_size)
    Mapping mapping;
  };
  std::optional<Found> FindNextMapped(Vaddr from, Vaddr end) const;
  // The raw leaf entry for `va`, or 0 (for tests that check hardware bits).
  uint64_t LeafEntry(Vaddr va) const;
  // Sets (`set`) or clears the bits `mark` in the 4 KiB leaf entries of
  // [va, end) (both 4 KiB aligned), splitting large pages that hold any of
  // it. A mark is an address bit no memory uses (a TD's shared bit) or a
  // bit the MMU ignores, never a permission or PS; leaf addresses are read
  // without any mark ever set, and splits and Protect keep marks. EINVAL
  // (misaligned, non-canonical, a permission bit), ENOENT (a page is not
  // mapped; earlier pages stay changed), ENOMEM (no frame for a split). Does
  // not flush the TLB.
  Status SetLeafMark(Vaddr va, Vaddr end, uint64_t mark, bool set);

 private:
  // The entry slot for va at `level`, creating tables above it if `create`.
  uint64_t* Walk(Vaddr va, int level, bool create, Status* status);
  // Replaces the large leaf covering va by a table of 512 leaves one level
  // down, mapping the same memory with the same flags. ENOMEM.
  Status Split(Vaddr va);
  Paddr root_;
};

// The kernel's page table (shared kernel half). Modify only under the lock.
PageTable& KernelPageTable();
SpinLock& KernelPageTableLock();

// Flushes one page from this CPU's TLB.
void FlushTlbPage(Vaddr va);

// Kernel virtual areas: page-granular ranges in [kKvaBase, kKvaEnd).
Result<Vaddr> AllocKernelVirtual(uint64_t size);
void FreeKernelVirtual(Vaddr va, uint64_t size);

// Maps device memory uncached into a kernel virtual area.
Result<Vaddr> MapMmio(Paddr pa, uint64_t size);

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_MM_H_
