#include "ostd/mm/frame.h"

#include "ostd/boot/memory_map.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/mm/bitmap_allocator.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/sync.h"

namespace ostd::mm {
namespace {

SpinLock frame_lock;
BitmapAllocator frames ABSL_GUARDED_BY(frame_lock);
uint64_t total_frames = 0;

void Zero(Paddr p, size_t count) {
  std::span<uint8_t> bytes = internal::PhysBytes(p, count * kPageSize);
  // SAFETY: the frames were just allocated to us and are mapped by the linear map.
  __builtin_memset(bytes.data(), 0, bytes.size());
}

}  // namespace

Result<Paddr> FrameAllocOptions::AllocOne() const {
  std::optional<size_t> index;
  {
    SpinLockGuard guard(frame_lock);
    index = frames.Allocate();
  }
  if (!index) return Err(Errno::kENOMEM);
  Paddr p = *index * kPageSize;
  if (zeroed_) Zero(p, 1);
  return p;
}

Result<Paddr> FrameAllocOptions::AllocContiguous(size_t count, size_t align_frames) const {
  if (count == 0 || align_frames == 0 || (align_frames & (align_frames - 1)) != 0) {
    return Err(Errno::kEINVAL);
  }
  std::optional<size_t> index;
  {
    SpinLockGuard guard(frame_lock);
    index = frames.AllocateContiguous(count, align_frames);
  }
  if (!index) return Err(Errno::kENOMEM);
  Paddr p = *index * kPageSize;
  if (zeroed_) Zero(p, count);
  return p;
}

void FreeFrames(Paddr first, size_t count) {
  OSTD_ASSERT(first % kPageSize == 0);
  SpinLockGuard guard(frame_lock);
  size_t index = first / kPageSize;
  for (size_t i = 0; i < count; ++i) {
    if (index + i >= frames.capacity() || frames.IsFree(index + i)) {
      OSTD_PANIC("FreeFrames: frame {:#x} is not allocated", (index + i) * kPageSize);
    }
  }
  frames.MarkFree(index, count);
}

FrameStats GetFrameStats() {
  SpinLockGuard guard(frame_lock);
  return FrameStats{total_frames, frames.free_count()};
}

}  // namespace ostd::mm

namespace ostd::internal {

void InitFrameAllocator(std::span<const MemoryRegion> map) {
  using mm::kPageSize;
  Paddr top = 0;
  for (const MemoryRegion& r : map) {
    if (r.kind == MemoryRegionKind::kUsable && r.end() > top) top = r.end();
  }
  size_t count = top / kPageSize;
  size_t words = mm::BitmapAllocator::WordsFor(count);
  uint64_t bitmap_bytes = mm::AlignUp(words * 8, kPageSize);

  // Put the bitmap in the first usable region that holds it, below 4 GiB (the
  // boot page tables map only that much).
  Paddr bitmap = 0;
  for (const MemoryRegion& r : map) {
    if (r.kind == MemoryRegionKind::kUsable && r.length >= bitmap_bytes &&
        r.base + bitmap_bytes <= (4ull << 30) && r.base >= (1ull << 20)) {
      bitmap = r.base;
      break;
    }
  }
  if (bitmap == 0) OSTD_PANIC("no room for the frame bitmap ({} bytes)", bitmap_bytes);

  std::span<uint8_t> raw = PhysBytes(bitmap, bitmap_bytes);
  // SAFETY: `raw` is usable RAM that nothing else owns yet, page aligned, and
  // reserved below before the allocator hands out anything.
  std::span<uint64_t> storage(reinterpret_cast<uint64_t*>(raw.data()), words);
  SpinLockGuard guard(mm::frame_lock);
  mm::frames.Init(storage, count);
  for (const MemoryRegion& r : map) {
    if (r.kind == MemoryRegionKind::kUsable)
      mm::frames.MarkFree(r.base / kPageSize, r.length / kPageSize);
  }
  // Never hand out the first MiB (real-mode structures, firmware) or the bitmap.
  mm::frames.MarkUsed(0, (1 << 20) / kPageSize);
  mm::frames.MarkUsed(bitmap / kPageSize, bitmap_bytes / kPageSize);
  mm::total_frames = mm::frames.free_count();
}

}  // namespace ostd::internal
