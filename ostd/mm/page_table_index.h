// x86_64 4-level paging arithmetic: table indices, entry bits, canonical checks.
// Pure constexpr logic shared by the page-table code and host tests.
#ifndef OSTD_MM_PAGE_TABLE_INDEX_H_
#define OSTD_MM_PAGE_TABLE_INDEX_H_

#include <cstdint>

namespace ostd::mm {

inline constexpr uint64_t kPageSize = 4096;             // bytes in a page (and a frame)
inline constexpr uint64_t kPageShift = 12;              // log2(kPageSize)
inline constexpr uint64_t kLargePageSize = 2ull << 20;  // 2 MiB, level-2 leaf
inline constexpr uint64_t kHugePageSize = 1ull << 30;   // 1 GiB, level-3 leaf
inline constexpr int kLevels = 4;                       // paging levels (PML4, PDPT, PD, PT)
inline constexpr uint64_t kEntriesPerTable = 512;       // 8-byte entries in a 4 KiB table

// Level 4 = PML4 ... level 1 = PT. Index of `vaddr` in the table of `level`.
constexpr unsigned TableIndex(uint64_t vaddr, int level) {
  return static_cast<unsigned>((vaddr >> (kPageShift + 9 * (level - 1))) & 0x1ff);
}

// Bytes mapped by one entry at `level` (4 KiB at 1, 2 MiB at 2, 1 GiB at 3, 512 GiB at 4).
constexpr uint64_t EntrySpan(int level) { return kPageSize << (9 * (level - 1)); }

// A canonical address has bits 63..47 all equal.
constexpr bool IsCanonical(uint64_t vaddr) {
  uint64_t top = vaddr >> 47;
  return top == 0 || top == 0x1ffff;
}

// Alignment helpers. `a` must be a power of two (unchecked: any other value,
// 0 included, gives a meaningless result, never undefined behaviour).
//
// The largest multiple of `a` not above `v`.
constexpr uint64_t AlignDown(uint64_t v, uint64_t a) { return v & ~(a - 1); }
// The smallest multiple of `a` not below `v`. Wraps to 0 if that multiple is
// 2^64 (v above the last multiple of `a`): check for overflow where v comes
// from outside.
constexpr uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
// True if `v` is a multiple of `a`.
constexpr bool IsAligned(uint64_t v, uint64_t a) { return (v & (a - 1)) == 0; }

// Hardware page-table entry bits.
namespace pte {
inline constexpr uint64_t kPresent = 1ull << 0;       // P: the MMU uses the entry
inline constexpr uint64_t kWritable = 1ull << 1;      // R/W: writes allowed
inline constexpr uint64_t kUser = 1ull << 2;          // U/S: user mode may access
inline constexpr uint64_t kWriteThrough = 1ull << 3;  // PWT: write-through caching
inline constexpr uint64_t kCacheDisable = 1ull << 4;  // PCD: not cached
inline constexpr uint64_t kAccessed = 1ull << 5;      // A: set by the MMU on access
inline constexpr uint64_t kDirty = 1ull << 6;         // D: set by the MMU on a write to a leaf
inline constexpr uint64_t kHuge = 1ull << 7;          // PS: leaf at level 2 or 3
inline constexpr uint64_t kGlobal = 1ull << 8;        // G: kept in the TLB across CR3 loads
// Software bit (ignored by the MMU): the page is device memory, not a frame
// reference, so unmapping it never frees a frame.
inline constexpr uint64_t kSoftDevice = 1ull << 9;
// Software bit: a leaf that keeps its frame but is not present to the MMU
// (PROT_NONE), so every access, the kernel's user copies included, faults.
inline constexpr uint64_t kSoftNone = 1ull << 10;
// Software bit: the kernel's mark on a user page that holds anonymous memory
// (PageFlags::anonymous); bookkeeping only.
inline constexpr uint64_t kSoftAnon = 1ull << 11;
inline constexpr uint64_t kNoExecute = 1ull << 63;  // XD: instruction fetches fault
// The physical address field of an entry (bits 12-51): the 4 KiB-aligned
// frame or next-level table.
inline constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
}  // namespace pte

// Page permissions and caching as the rest of ostd sees them.
// The default is a read-only, non-executable, cached kernel page.
struct PageFlags {
  bool writable = false;    // writes allowed (pte::kWritable)
  bool executable = false;  // instruction fetches allowed (pte::kNoExecute clear)
  bool user = false;        // user mode may access it (pte::kUser)
  bool uncached = false;    // not cached (pte::kCacheDisable and kWriteThrough)
  bool global = false;      // survives CR3 loads in the TLB (pte::kGlobal); kernel pages only
  bool device = false;      // device memory (see pte::kSoftDevice)
  // VmSpace only: a page nothing may touch (PROT_NONE). The leaf keeps its
  // frame but is not present (pte::kSoftNone), so user accesses and the
  // kernel's user copies fault alike. Reads back with user == false.
  bool inaccessible = false;
  // VmSpace only: a mark the kernel keeps with a user page, ignored by the
  // MMU (pte::kSoftAnon): the page holds anonymous memory (Linux's
  // PageAnon, for its resident-set counters). Set by Map, kept by Protect.
  bool anonymous = false;
  // VmSpace only: the page has been written, as the MMU records it (the D
  // bit, set on the first write through the entry). Map and Protect with it
  // set mark the page written themselves (a page mapped for a write fault,
  // which the write has not reached yet); Protect without it keeps what the
  // entry had; VmSpace::ClearDirty clears it. Bookkeeping only (Linux's
  // soft-dirty bit in /proc/<pid>/pagemap).
  bool dirty = false;

  friend constexpr bool operator==(const PageFlags&, const PageFlags&) = default;
};

// Encodes a leaf entry. `large` sets PS (for level 2/3 leaves).
constexpr uint64_t EncodeLeaf(uint64_t paddr, PageFlags f, bool large) {
  uint64_t e = (paddr & pte::kAddrMask) | (f.inaccessible ? pte::kSoftNone : pte::kPresent);
  if (f.writable) e |= pte::kWritable;
  if (!f.executable) e |= pte::kNoExecute;
  if (f.user) e |= pte::kUser;
  if (f.uncached) e |= pte::kCacheDisable | pte::kWriteThrough;
  if (f.global) e |= pte::kGlobal;
  if (f.device) e |= pte::kSoftDevice;
  if (f.anonymous) e |= pte::kSoftAnon;
  if (f.dirty) e |= pte::kDirty;
  if (large) e |= pte::kHuge;
  return e;
}

// The flags of entry `e`, the inverse of EncodeLeaf for the flag bits (the
// address, PS and A are ignored; `uncached` reads PCD alone; `dirty` reads D,
// which the MMU also sets). A kSoftNone
// entry decodes as inaccessible with user == false. Meaningful only for an
// entry that holds a page (LeafHoldsPage); any value is accepted.
constexpr PageFlags DecodeFlags(uint64_t e) {
  bool none = (e & pte::kSoftNone) != 0;
  return PageFlags{(e & pte::kWritable) != 0,
                   (e & pte::kNoExecute) == 0,
                   (e & pte::kUser) != 0 && !none,
                   (e & pte::kCacheDisable) != 0,
                   (e & pte::kGlobal) != 0,
                   (e & pte::kSoftDevice) != 0,
                   none,
                   (e & pte::kSoftAnon) != 0,
                   (e & pte::kDirty) != 0};
}

// True if a level-1 entry maps a page (present, or kept with kSoftNone).
constexpr bool LeafHoldsPage(uint64_t e) { return (e & (pte::kPresent | pte::kSoftNone)) != 0; }

}  // namespace ostd::mm

#endif  // OSTD_MM_PAGE_TABLE_INDEX_H_
