// The kernel heap.
//
// `new (std::nothrow) T(...)` is the fallible allocation: nullptr when memory
// runs out. Plain `new` is for boot-time objects only and panics on exhaustion.
// Small objects (up to 2 KiB) come from per-size slabs and are naturally aligned
// to their size class; larger ones take whole contiguous frames.
#ifndef OSTD_MM_HEAP_H_
#define OSTD_MM_HEAP_H_

#include <cstddef>
#include <cstdint>

namespace ostd::mm {

// Counters of the kernel heap, for diagnostics and tests.
struct HeapStats {
  uint64_t allocated_bytes;  // bytes handed out (rounded to size classes/pages)
  uint64_t allocations;      // live allocations
  uint64_t failed;  // allocations that found no memory (not those refused for a bad alignment)
  // Frames carved into small blocks. The heap keeps them once carved (their
  // free blocks serve later allocations), so they count as in use in
  // FrameStats even when every block is free.
  uint64_t slab_frames;
  // Frames held by live allocations larger than kMaxSlabSize (each such
  // allocation has whole frames of its own, returned when it is freed).
  uint64_t large_frames;
};
// A consistent snapshot of the counters (read under the heap's spin lock, so
// any context; the numbers may be stale by the time they are used).
HeapStats GetHeapStats();

// Largest size served from slabs.
inline constexpr size_t kMaxSlabSize = 2048;

}  // namespace ostd::mm

#endif  // OSTD_MM_HEAP_H_
