#include "ostd/boot/internal/memory_map.h"

#include <algorithm>
#include <cstdint>

namespace ostd::boot {
namespace {

constexpr uint64_t kPageSize = 4096;

// Higher wins where regions overlap.
int Priority(MemoryRegionKind kind) {
  switch (kind) {
    case MemoryRegionKind::kUsable:
      return 0;
    case MemoryRegionKind::kUnaccepted:  // accepting accepted RAM is harmless
      return 1;
    case MemoryRegionKind::kAcpiReclaimable:
      return 2;
    case MemoryRegionKind::kBootloader:
      return 3;
    case MemoryRegionKind::kModule:
      return 4;
    case MemoryRegionKind::kKernel:
      return 5;
    case MemoryRegionKind::kAcpiNvs:
      return 6;
    case MemoryRegionKind::kReserved:
      return 7;
    case MemoryRegionKind::kBadMemory:
      return 8;
  }
  return 7;
}

}  // namespace

bool MemoryMapBuilder::Add(Paddr base, uint64_t length, MemoryRegionKind kind) {
  if (length == 0) return true;
  if (input_count_ == kMaxRegions) return false;
  // Clamp a region that would wrap around the address space.
  if (base + length < base) length = UINT64_MAX - base;
  input_[input_count_++] = MemoryRegion{base, length, kind};
  return true;
}

std::span<const MemoryRegion> MemoryMapBuilder::Build() {
  // Sweep over every boundary; between two boundaries the winning kind is the
  // highest-priority region covering that interval.
  uint64_t points[kMaxRegions * 2];
  size_t npoints = 0;
  for (size_t i = 0; i < input_count_; ++i) {
    points[npoints++] = input_[i].base;
    points[npoints++] = input_[i].end();
  }
  std::sort(points, points + npoints);
  npoints = static_cast<size_t>(std::unique(points, points + npoints) - points);

  output_count_ = 0;
  for (size_t p = 0; p + 1 < npoints; ++p) {
    uint64_t lo = points[p], hi = points[p + 1];
    int best = -1;
    MemoryRegionKind kind = MemoryRegionKind::kUsable;
    for (size_t i = 0; i < input_count_; ++i) {
      const MemoryRegion& r = input_[i];
      if (r.base <= lo && r.end() >= hi && Priority(r.kind) > best) {
        best = Priority(r.kind);
        kind = r.kind;
      }
    }
    if (best < 0) continue;  // a hole
    if (output_count_ > 0) {
      MemoryRegion& last = output_[output_count_ - 1];
      if (last.kind == kind && last.end() == lo) {
        last.length += hi - lo;
        continue;
      }
    }
    output_[output_count_++] = MemoryRegion{lo, hi - lo, kind};
  }

  // Usable RAM shrinks inward to whole pages; what is left over becomes reserved
  // only in the sense that nothing can allocate it, so it is simply dropped.
  size_t out = 0;
  for (size_t i = 0; i < output_count_; ++i) {
    MemoryRegion r = output_[i];
    if (r.kind == MemoryRegionKind::kUsable || r.kind == MemoryRegionKind::kUnaccepted) {
      uint64_t lo = (r.base + kPageSize - 1) & ~(kPageSize - 1);
      uint64_t hi = r.end() & ~(kPageSize - 1);
      if (lo < r.base || hi <= lo) continue;
      r = MemoryRegion{lo, hi - lo, r.kind};
    }
    output_[out++] = r;
  }
  output_count_ = out;
  return std::span<const MemoryRegion>(output_, output_count_);
}

uint64_t MemoryMapBuilder::usable_bytes() const {
  uint64_t total = 0;
  for (size_t i = 0; i < output_count_; ++i) {
    if (output_[i].kind == MemoryRegionKind::kUsable) total += output_[i].length;
  }
  return total;
}

}  // namespace ostd::boot
