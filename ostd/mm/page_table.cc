#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/log.h"
#include "ostd/mm/bitmap_allocator.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"

extern "C" const char __kernel_start[], __text_start[], __text_end[], __rodata_start[],
    __rodata_end[], __kernel_end[], __image_end[];

namespace ostd::internal {
namespace {

using mm::kPageSize;
namespace pte = mm::pte;

uint64_t linear_map_size = 0;
PageTable kernel_pt(0);
SpinLock kernel_pt_lock;
// Every bit MarkLinearMap ever set in a leaf (a TD's shared bit, or the
// simulator's stand-in for it). Such a bit may lie in the address field, so
// leaf addresses are read without them; written before the first leaf that
// carries it, under kernel_pt_lock.
std::atomic<uint64_t> leaf_marks{0};

// The physical base of the leaf entry `e` covering `span` bytes.
Paddr LeafBase(uint64_t e, uint64_t span) {
  return e & pte::kAddrMask & ~leaf_marks.load(std::memory_order_relaxed) & ~(span - 1);
}
// The marks `e` carries, to keep in an entry rebuilt from it.
uint64_t MarksOf(uint64_t e) { return e & leaf_marks.load(std::memory_order_relaxed); }

// Kernel virtual areas: one bit per page over 1 GiB from kKvaBase.
constexpr uint64_t kKvaPages = (1ull << 30) / kPageSize;
SpinLock kva_lock;
uint64_t kva_storage[mm::BitmapAllocator::WordsFor(kKvaPages)];
mm::BitmapAllocator kva ABSL_GUARDED_BY(kva_lock);

// SAFETY (helper): a page-table frame is a 512-entry array reached through the linear map.
uint64_t* TableAt(Paddr p) { return reinterpret_cast<uint64_t*>(PhysToVirt(p)); }

uint64_t SymAddr(const char* s) { return reinterpret_cast<uint64_t>(s); }

}  // namespace

std::span<uint8_t> PhysBytes(Paddr p, uint64_t len) {
  // SAFETY: the linear map covers physical memory; callers pass ranges they own.
  return std::span<uint8_t>(reinterpret_cast<uint8_t*>(PhysToVirt(p)), len);
}

uint64_t LinearMapSize() { return linear_map_size; }

Vaddr KernelImageStart() { return SymAddr(__kernel_start); }
Vaddr KernelImageEnd() { return SymAddr(__image_end); }

bool IsAlwaysMappedKernelRange(Vaddr addr, uint64_t len) {
  if (len == 0 || addr + len < addr) return false;
  if (addr >= KernelImageStart() && addr + len <= KernelImageEnd()) return true;
  if (linear_map_size == 0) {  // still on the boot tables: the first 4 GiB
    return addr >= kLinearMapBase && addr + len <= kLinearMapBase + (4ull << 30);
  }
  // The linear map has holes; both ends must be mapped (ranges here are tiny).
  if (addr < kLinearMapBase || addr + len > kLinearMapBase + linear_map_size) return false;
  return kernel_pt.Query(addr).has_value() && kernel_pt.Query(addr + len - 1).has_value();
}

uint64_t* PageTable::Walk(Vaddr va, int level, bool create, Status* status) {
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l > level; --l) {
    uint64_t& e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent)) {
      if (!create) return nullptr;
      Result<Paddr> frame = mm::FrameAllocOptions().usage(mm::FrameUsage::kPageTable).AllocOne();
      if (!frame) {
        *status = Err(frame.error());
        return nullptr;
      }
      e = *frame | pte::kPresent | pte::kWritable | (va < kUserEnd ? pte::kUser : 0);
    } else if (e & pte::kHuge) {
      *status = Err(Errno::kEEXIST);  // a large page already covers va
      return nullptr;
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return &table[mm::TableIndex(va, level)];
}

Status PageTable::Map(Vaddr va, Paddr pa, uint64_t size, mm::PageFlags flags) {
  int level = size == kPageSize            ? 1
              : size == mm::kLargePageSize ? 2
              : size == mm::kHugePageSize  ? 3
                                           : 0;
  if (level == 0 || !mm::IsAligned(va, size) || !mm::IsAligned(pa, size) || !mm::IsCanonical(va)) {
    return Err(Errno::kEINVAL);
  }
  Status status;
  uint64_t* slot = Walk(va, level, true, &status);
  if (slot == nullptr) return status.has_value() ? Status(Err(Errno::kENOMEM)) : status;
  if (mm::LeafHoldsPage(*slot)) return Err(Errno::kEEXIST);
  *slot = mm::EncodeLeaf(pa, flags, level > 1);
  return {};
}

std::optional<Mapping> PageTable::Query(Vaddr va) const {
  if (!mm::IsCanonical(va)) return std::nullopt;
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l >= 1; --l) {
    uint64_t e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) return std::nullopt;
    if (l == 1 || (e & pte::kHuge)) {
      uint64_t span = mm::EntrySpan(l);
      Paddr base = LeafBase(e, span);
      return Mapping{base + (va & (span - 1)), span, mm::DecodeFlags(e)};
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return std::nullopt;
}

std::optional<PageTable::Found> PageTable::FindNextMapped(Vaddr from, Vaddr end) const {
  Vaddr va = from;
  while (va < end) {
    if (!mm::IsCanonical(va)) {
      // Jump over the non-canonical hole to the start of the kernel half.
      if (va < 0xffff800000000000ull) {
        va = 0xffff800000000000ull;
        continue;
      }
      return std::nullopt;
    }
    uint64_t* table = TableAt(root_);
    Vaddr next = 0;
    for (int l = mm::kLevels; l >= 1; --l) {
      uint64_t e = table[mm::TableIndex(va, l)];
      uint64_t span = mm::EntrySpan(l);
      if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) {
        next = mm::AlignDown(va, span) + span;  // skip the whole empty entry
        break;
      }
      if (l == 1 || (e & pte::kHuge)) {
        Vaddr base = mm::AlignDown(va, span);
        Paddr pa = LeafBase(e, span);
        return Found{base, Mapping{pa, span, mm::DecodeFlags(e)}};
      }
      table = TableAt(e & pte::kAddrMask);
    }
    if (next <= va) return std::nullopt;  // wrapped past the top of the address space
    va = next;
  }
  return std::nullopt;
}

uint64_t PageTable::LeafEntry(Vaddr va) const {
  if (!mm::IsCanonical(va)) return 0;
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l >= 1; --l) {
    uint64_t e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) return 0;
    if (l == 1 || (e & pte::kHuge)) return e;
    table = TableAt(e & pte::kAddrMask);
  }
  return 0;
}

Result<Mapping> PageTable::Unmap(Vaddr va) {
  if (!mm::IsCanonical(va)) return Err(Errno::kEINVAL);
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l >= 1; --l) {
    uint64_t& e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) return Err(Errno::kENOENT);
    if (l == 1 || (e & pte::kHuge)) {
      uint64_t span = mm::EntrySpan(l);
      if (!mm::IsAligned(va, span)) return Err(Errno::kEINVAL);
      Mapping m{LeafBase(e, span), span, mm::DecodeFlags(e)};
      e = 0;
      return m;
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return Err(Errno::kENOENT);
}

Status PageTable::Split(Vaddr va) {
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l > 1; --l) {
    uint64_t& e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent)) return Err(Errno::kENOENT);
    if (e & pte::kHuge) {
      OSTD_TRY_ASSIGN(Paddr frame,
                      mm::FrameAllocOptions().usage(mm::FrameUsage::kPageTable).AllocOne());
      uint64_t span = mm::EntrySpan(l);
      uint64_t child = mm::EntrySpan(l - 1);
      Paddr base = LeafBase(e, span);
      mm::PageFlags flags = mm::DecodeFlags(e);
      uint64_t marks = MarksOf(e);
      uint64_t* children = TableAt(frame);
      for (unsigned i = 0; i < mm::kEntriesPerTable; ++i) {
        children[i] = mm::EncodeLeaf(base + i * child, flags, l - 1 > 1) | marks;
      }
      // Kernel and user tables alike: the leaves carry the permissions.
      e = frame | pte::kPresent | pte::kWritable | (va < kUserEnd ? pte::kUser : 0);
      return {};
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return Err(Errno::kEINVAL);  // already a 4 KiB leaf
}

Status PageTable::UnmapRange(Vaddr va, Vaddr end) {
  if (!mm::IsAligned(va, kPageSize) || !mm::IsAligned(end, kPageSize) || end < va) {
    return Err(Errno::kEINVAL);
  }
  if (va == end) return {};
  if (!mm::IsCanonical(va) || !mm::IsCanonical(end - 1)) return Err(Errno::kEINVAL);
  while (std::optional<Found> f = FindNextMapped(va, end)) {
    Vaddr page = f->vaddr;
    uint64_t span = f->mapping.page_size;
    if (page >= va && page + span <= end) {
      OSTD_TRY(Unmap(page));
      va = page + span;
    } else {
      OSTD_TRY(Split(page));  // straddles an end: cut it smaller and look again
      if (page > va) va = page;
    }
  }
  return {};
}

Status PageTable::Protect(Vaddr va, mm::PageFlags flags) {
  if (!mm::IsCanonical(va)) return Err(Errno::kEINVAL);
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l >= 1; --l) {
    uint64_t& e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) return Err(Errno::kENOENT);
    if (l == 1 || (e & pte::kHuge)) {
      // Device memory stays device memory with its caching, whatever is asked.
      if (e & pte::kSoftDevice) {
        flags.device = true;
        flags.uncached = (e & pte::kCacheDisable) != 0;
      }
      flags.anonymous = (e & pte::kSoftAnon) != 0;          // the kernel's mark stays too
      flags.dirty = flags.dirty || (e & pte::kDirty) != 0;  // a write seen stays seen
      e = mm::EncodeLeaf(LeafBase(e, mm::EntrySpan(l)), flags, l > 1) | MarksOf(e);
      return {};
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return Err(Errno::kENOENT);
}

bool PageTable::ClearDirty(Vaddr va) {
  if (!mm::IsCanonical(va)) return false;
  uint64_t* table = TableAt(root_);
  for (int l = mm::kLevels; l >= 1; --l) {
    uint64_t& e = table[mm::TableIndex(va, l)];
    if (!(e & pte::kPresent) && !(l == 1 && mm::LeafHoldsPage(e))) return false;
    if (l == 1 || (e & pte::kHuge)) {
      if ((e & pte::kDirty) == 0) return false;
      // Only the MMU writes the entry meanwhile (A or D, from another CPU's
      // walk); this plain store may lose such a mark of an access made
      // before the caller's flush, which ClearDirty's callers accept.
      e &= ~pte::kDirty;
      return true;
    }
    table = TableAt(e & pte::kAddrMask);
  }
  return false;
}

Status PageTable::SetLeafMark(Vaddr va, Vaddr end, uint64_t mark, bool set) {
  if (!mm::IsAligned(va, kPageSize) || !mm::IsAligned(end, kPageSize) || end < va ||
      (mark & (pte::kPresent | pte::kWritable | pte::kUser | pte::kHuge | pte::kNoExecute)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if (va == end) return {};
  if (!mm::IsCanonical(va) || !mm::IsCanonical(end - 1)) return Err(Errno::kEINVAL);
  leaf_marks.fetch_or(mark, std::memory_order_relaxed);
  for (Vaddr page = va; page < end; page += kPageSize) {
    for (;;) {
      Status walk;
      uint64_t* slot = Walk(page, 1, false, &walk);
      if (slot == nullptr) {
        // A large page holds it: cut it into 4 KiB pages and look again.
        if (!walk.has_value() && walk.error() == Errno::kEEXIST) {
          OSTD_TRY(Split(page));
          continue;
        }
        return Err(Errno::kENOENT);
      }
      if (!mm::LeafHoldsPage(*slot)) return Err(Errno::kENOENT);
      *slot = set ? (*slot | mark) : (*slot & ~mark);
      break;
    }
  }
  return {};
}

Status MarkLinearMap(Paddr base, Paddr end, uint64_t mark, bool set) {
  if (end > linear_map_size || base > end) return Err(Errno::kEINVAL);
  SpinLockGuard guard(kernel_pt_lock);
  return kernel_pt.SetLeafMark(PhysToVirt(base), PhysToVirt(end), mark, set);
}

PageTable& KernelPageTable() { return kernel_pt; }
SpinLock& KernelPageTableLock() { return kernel_pt_lock; }

void FlushTlbPage(Vaddr va) { arch::Invlpg(va); }

void InitKernelPageTable(std::span<const MemoryRegion> map) {
  Result<Paddr> root = mm::FrameAllocOptions().usage(mm::FrameUsage::kPageTable).AllocOne();
  OSTD_ASSERT(root.has_value());
  PageTable pt(*root);

  // The kernel half is shared by every address space: give each of its 256 PML4
  // slots a PDPT now so later address spaces can copy the slots once.
  uint64_t* pml4 = TableAt(*root);
  for (unsigned i = 256; i < 512; ++i) {
    Result<Paddr> pdpt = mm::FrameAllocOptions().usage(mm::FrameUsage::kPageTable).AllocOne();
    OSTD_ASSERT(pdpt.has_value());
    pml4[i] = *pdpt | pte::kPresent | pte::kWritable;
  }

  // Linear map of the physical memory the firmware describes (RAM, ACPI tables,
  // firmware-reserved ranges), to the page: the largest pages that fit inside
  // a region, 4 KiB ones at its edges. Gaps such as the PCI hole stay unmapped,
  // so device memory never has a cached alias next to IoMem's uncached one;
  // RemoveFromLinearMap later cuts out the device ranges firmware calls
  // reserved (ECAM, APICs, HPET).
  bool gb_pages = (arch::Cpuid(0x80000001).edx & (1u << 26)) != 0;
  mm::PageFlags linear{.writable = true, .executable = false, .global = true};
  Paddr top = 0;
  // The BIOS ROM area, where ACPI says to look for the RSDP on legacy boots:
  // firmware memory even where the memory map leaves it out.
  const MemoryRegion kBiosRom{0xe0000, 0x20000, MemoryRegionKind::kReserved};
  auto map_region = [&](const MemoryRegion& r) {
    if (r.kind == MemoryRegionKind::kBadMemory || r.length == 0) return;
    Paddr end = mm::AlignUp(r.end(), kPageSize);
    for (Paddr p = mm::AlignDown(r.base, kPageSize); p < end;) {
      if (std::optional<Mapping> m = pt.Query(PhysToVirt(p))) {
        p = mm::AlignDown(p, m->page_size) + m->page_size;  // covered by an earlier region
        continue;
      }
      uint64_t step = kPageSize;
      for (uint64_t size : {mm::kHugePageSize, mm::kLargePageSize}) {
        if (size == mm::kHugePageSize && !gb_pages) continue;
        if (mm::IsAligned(p, size) && p + size <= end &&
            !pt.FindNextMapped(PhysToVirt(p), PhysToVirt(p + size)).has_value()) {
          step = size;
          break;
        }
      }
      Status s = pt.Map(PhysToVirt(p), p, step, linear);
      if (!s) OSTD_PANIC("linear map at {:#x}: {}", p, s.error());
      p += step;
    }
    if (end > top) top = end;
  };
  map_region(kBiosRom);
  for (const MemoryRegion& r : map) map_region(r);

  // The kernel image, section by section: W^X from the start.
  for (Vaddr va = SymAddr(__kernel_start); va < SymAddr(__image_end); va += kPageSize) {
    mm::PageFlags f{.global = true};
    if (va >= SymAddr(__text_start) && va < SymAddr(__text_end)) {
      f.executable = true;
    } else if (va >= SymAddr(__rodata_start) && va < SymAddr(__rodata_end)) {
      // read-only data
    } else if (va < SymAddr(__kernel_end)) {
      f.writable = true;  // data and bss
    }
    Status s = pt.Map(va, KernelVirtToPhys(va), kPageSize, f);
    if (!s) OSTD_PANIC("kernel image map at {:#x}: {}", va, s.error());
  }

  arch::WriteCr3(pt.root());
  kernel_pt = pt;
  linear_map_size = top;

  uint32_t ebx7 = arch::Cpuid(7, 0).ebx;
  uint64_t cr4 = arch::ReadCr4() | arch::kCr4Pge;
  if (ebx7 & (1u << 7)) cr4 |= arch::kCr4Smep;
  if (ebx7 & (1u << 20)) cr4 |= arch::kCr4Smap;
  arch::WriteCr4(cr4);
  arch_smap_enabled = (cr4 & arch::kCr4Smap) != 0 ? 1 : 0;

  SpinLockGuard guard(kva_lock);
  kva.Init(std::span<uint64_t>(kva_storage), kKvaPages);
  kva.MarkFree(0, kKvaPages);
}

Status RemoveFromLinearMap(Paddr base, Paddr end) {
  if (end > linear_map_size) end = linear_map_size;
  if (base >= end) return {};
  Status s;
  {
    SpinLockGuard guard(kernel_pt_lock);
    s = kernel_pt.UnmapRange(PhysToVirt(base), PhysToVirt(end));
  }
  OSTD_ASSERT(OnlineCpus().count() <= 1);  // no other TLB to shoot down
  // The linear map is global: reloading CR3 would keep it. Toggling CR4.PGE
  // drops every TLB entry of this CPU.
  uint64_t cr4 = arch::ReadCr4();
  if (cr4 & arch::kCr4Pge) {
    arch::WriteCr4(cr4 & ~arch::kCr4Pge);
    arch::WriteCr4(cr4);
  } else {
    arch::WriteCr3(arch::ReadCr3());
  }
  return s;
}

Result<Vaddr> AllocKernelVirtual(uint64_t size) {
  if (size == 0) return Err(Errno::kEINVAL);
  uint64_t pages = mm::AlignUp(size, kPageSize) / kPageSize;
  SpinLockGuard guard(kva_lock);
  std::optional<size_t> first = kva.AllocateContiguous(pages, 1);
  if (!first) return Err(Errno::kENOMEM);
  return kKvaBase + *first * kPageSize;
}

void FreeKernelVirtual(Vaddr va, uint64_t size) {
  uint64_t pages = mm::AlignUp(size, kPageSize) / kPageSize;
  SpinLockGuard guard(kva_lock);
  kva.MarkFree((va - kKvaBase) / kPageSize, pages);
}

Result<Vaddr> MapMmio(Paddr pa, uint64_t size) {
  Paddr base = mm::AlignDown(pa, kPageSize);
  uint64_t len = mm::AlignUp(pa + size, kPageSize) - base;
  OSTD_TRY_ASSIGN(Vaddr va, AllocKernelVirtual(len));
  SpinLockGuard guard(kernel_pt_lock);
  mm::PageFlags f{.writable = true, .executable = false, .uncached = true, .global = true};
  for (uint64_t off = 0; off < len; off += kPageSize) {
    Status s = kernel_pt.Map(va + off, base + off, kPageSize, f);
    if (!s) {
      for (uint64_t undo = 0; undo < off; undo += kPageSize) {
        static_cast<void>(kernel_pt.Unmap(va + undo));
        FlushTlbPage(va + undo);
      }
      FreeKernelVirtual(va, len);
      return Err(s.error());
    }
  }
  // In a TD device memory is shared with the host (docs/tdx.md). The range
  // was just mapped in 4 KiB pages, so no split is needed and this cannot fail.
  if (uint64_t mark = SharedPteMark(); mark != 0) {
    Status marked = kernel_pt.SetLeafMark(va, va + len, mark, true);
    OSTD_ASSERT(marked.has_value());
  }
  return va + (pa - base);
}

}  // namespace ostd::internal
