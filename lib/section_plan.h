// Pure logic behind TextPatcher and ExecRegion: range checks, section
// validation and per-page permission planning. Shared by the kernel and host
// GoogleTest tests (no hardware access, no allocation).
#ifndef LIB_SECTION_PLAN_H_
#define LIB_SECTION_PLAN_H_

#include <cstdint>
#include <span>

#include "lib/result.h"

namespace klib {

// What a section of an ExecRegion holds, and so the permission of its pages.
enum class SectionKind : uint8_t {
  kText,    // code: read + execute
  kRodata,  // read-only data: read only, never executable
  kData,    // writable data: read + write, never executable
};

// A byte range [offset, offset + size) of an ExecRegion and its kind.
struct Section {
  uint64_t offset = 0;
  uint64_t size = 0;
  SectionKind kind = SectionKind::kData;
};

// The permission one page ends up with after sealing. No value is both
// writable and executable.
enum class PagePerm : uint8_t {
  kReadOnly,   // R, NX (rodata, or a page no section claims)
  kReadExec,   // R X   (text, possibly sharing its page with rodata)
  kReadWrite,  // RW NX (data)
};

constexpr bool IsWritable(PagePerm p) { return p == PagePerm::kReadWrite; }
constexpr bool IsExecutable(PagePerm p) { return p == PagePerm::kReadExec; }

// True if [addr, addr + len) is non-empty, does not wrap around, and lies
// inside [start, end).
constexpr bool RangeWithin(uint64_t addr, uint64_t len, uint64_t start, uint64_t end) {
  if (len == 0 || addr + len < addr) return false;
  return addr >= start && addr + len <= end;
}

// Checks `sections` against a region of `region_size` bytes (the caller's
// size, not rounded to pages) with pages of `page_size` (a power of two).
// EINVAL if a section wraps around or ends past region_size, if two sections
// overlap by at least one byte, or if one page would need to be both
// writable and executable (a text section and a data section touching the
// same page) or both writable and read-only (rodata and data on one page:
// the rodata could not stay read-only). Empty sections claim nothing and
// are accepted. Text and rodata may share a page (it becomes R X).
Status ValidateSections(uint64_t region_size, uint64_t page_size,
                        std::span<const Section> sections);

// The permission of page `page_index` (bytes [index * page_size, +page_size))
// under `sections`, which must have passed ValidateSections: kReadExec if a
// text section touches it, else kReadWrite if a data section does, else
// kReadOnly.
PagePerm PagePermission(uint64_t page_index, uint64_t page_size, std::span<const Section> sections);

// Pages of a module-area allocation for a region of `size` bytes: the
// region's own pages plus one unmapped guard page after them. 0 if size is 0
// or the count would overflow.
constexpr uint64_t PagesWithGuard(uint64_t size, uint64_t page_size) {
  if (size == 0 || size > ~uint64_t{0} - 2 * page_size) return 0;
  return (size + page_size - 1) / page_size + 1;
}

}  // namespace klib

#endif  // LIB_SECTION_PLAN_H_
