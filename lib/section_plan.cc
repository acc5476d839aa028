#include "lib/section_plan.h"

namespace klib {
namespace {

// First and last page touched by a non-empty section.
uint64_t FirstPage(const Section& s, uint64_t page_size) { return s.offset / page_size; }
uint64_t LastPage(const Section& s, uint64_t page_size) {
  return (s.offset + s.size - 1) / page_size;
}

bool SharePage(const Section& a, const Section& b, uint64_t page_size) {
  return FirstPage(a, page_size) <= LastPage(b, page_size) &&
         FirstPage(b, page_size) <= LastPage(a, page_size);
}

bool Conflict(SectionKind a, SectionKind b) {
  // Data needs a writable page; neither text nor rodata may be on one.
  return (a == SectionKind::kData) != (b == SectionKind::kData);
}

}  // namespace

Status ValidateSections(uint64_t region_size, uint64_t page_size,
                        std::span<const Section> sections) {
  if (page_size == 0 || (page_size & (page_size - 1)) != 0) return Err(Errno::kEINVAL);
  for (const Section& s : sections) {
    if (s.offset + s.size < s.offset || s.offset + s.size > region_size) {
      return Err(Errno::kEINVAL);
    }
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& a = sections[i];
    if (a.size == 0) continue;
    for (size_t j = i + 1; j < sections.size(); ++j) {
      const Section& b = sections[j];
      if (b.size == 0) continue;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        return Err(Errno::kEINVAL);  // the byte ranges overlap
      }
      if (Conflict(a.kind, b.kind) && SharePage(a, b, page_size)) return Err(Errno::kEINVAL);
    }
  }
  return {};
}

PagePerm PagePermission(uint64_t page_index, uint64_t page_size,
                        std::span<const Section> sections) {
  PagePerm perm = PagePerm::kReadOnly;
  for (const Section& s : sections) {
    if (s.size == 0 || page_index < FirstPage(s, page_size) ||
        page_index > LastPage(s, page_size)) {
      continue;
    }
    if (s.kind == SectionKind::kText) return PagePerm::kReadExec;
    if (s.kind == SectionKind::kData) perm = PagePerm::kReadWrite;
  }
  return perm;
}

}  // namespace klib
