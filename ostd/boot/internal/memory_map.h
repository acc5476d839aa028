// Building a clean physical memory map from what firmware reports.
//
// Firmware maps overlap, arrive unsorted and use byte granularity. MemoryMapBuilder
// turns them into sorted, non-overlapping regions where usable RAM is page aligned
// and anything not usable wins an overlap. Pure logic: tested on the host.
#ifndef OSTD_BOOT_INTERNAL_MEMORY_MAP_H_
#define OSTD_BOOT_INTERNAL_MEMORY_MAP_H_

#include <cstddef>
#include <span>

#include "ostd/boot.h"

namespace ostd::boot {

// Collects the regions firmware reports and the ranges ostd carves out, then
// builds the sorted, non-overlapping map. Holds every region inline (no heap),
// so it can run before the allocator exists; about 18 KiB, keep it off small
// stacks. Not thread-safe.
class MemoryMapBuilder {
 public:
  // How many regions Add() and Carve() accept in total; more are dropped.
  static constexpr size_t kMaxRegions = 256;

  // Adds a region as reported. Zero-length regions are ignored. Returns false if
  // the builder is full (the region is dropped; boot continues with less memory).
  bool Add(Paddr base, uint64_t length, MemoryRegionKind kind);

  // Marks [base, base+length) as `kind` (kernel image, initramfs, ...), taking it
  // out of usable memory. Same overflow rule as Add().
  bool Carve(Paddr base, uint64_t length, MemoryRegionKind kind) { return Add(base, length, kind); }

  // Resolves overlaps (the kind with the higher priority wins: everything beats
  // kUsable), merges neighbours of the same kind, page-aligns usable RAM inward,
  // and returns the result, sorted by base. Valid until the next Add().
  std::span<const MemoryRegion> Build();

  // Total bytes of kUsable memory in the last Build().
  uint64_t usable_bytes() const;

 private:
  MemoryRegion input_[kMaxRegions] = {};
  size_t input_count_ = 0;
  MemoryRegion output_[kMaxRegions * 2] = {};
  size_t output_count_ = 0;
};

}  // namespace ostd::boot

#endif  // OSTD_BOOT_INTERNAL_MEMORY_MAP_H_
