#include "ostd/mm/frame.h"

#include "ostd/boot/internal/memory_map.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/log.h"
#include "ostd/mm/bitmap_allocator.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/sync.h"

namespace ostd::mm {
namespace {

SpinLock frame_lock;
BitmapAllocator frames ABSL_GUARDED_BY(frame_lock);
uint64_t total_frames = 0;
// Written once at boot, then only through its atomic words.
FrameMetaTable meta;

// Claims `count` frames from `index` for `usage`. A frame that cannot be claimed
// means the bitmap and the metadata disagree (an allocator bug): it stays out of
// circulation and the allocation fails rather than creating a second owner.
bool ClaimRun(size_t index, size_t count, FrameUsage usage) {
  for (size_t i = 0; i < count; ++i) {
    if (!meta.TryClaim(index + i, usage)) {
      OSTD_LOG_ERROR("frame {:#x} was offered twice (it is {}); quarantined",
                     (index + i) * kPageSize, FrameUsageName(meta.usage(index + i)));
      bool misuse;
      for (size_t j = 0; j < i; ++j) static_cast<void>(meta.Put(index + j, misuse));
      // Give back every frame of the run except the disputed one.
      SpinLockGuard guard(frame_lock);
      frames.MarkFree(index, i);
      frames.MarkFree(index + i + 1, count - i - 1);
      return false;
    }
  }
  return true;
}

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
  if (!ClaimRun(*index, 1, usage_)) return Err(Errno::kENOMEM);
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
  if (!ClaimRun(*index, count, usage_)) return Err(Errno::kENOMEM);
  Paddr p = *index * kPageSize;
  if (zeroed_) Zero(p, count);
  return p;
}

void FreeFrames(Paddr first, size_t count) {
  OSTD_ASSERT(first % kPageSize == 0);
  size_t index = first / kPageSize;
  for (size_t i = 0; i < count; ++i) {
    bool misuse = false;
    bool last = meta.Put(index + i, misuse);
    if (misuse) OSTD_PANIC("FreeFrames: frame {:#x} is not allocated", (index + i) * kPageSize);
    if (last) {
      SpinLockGuard guard(frame_lock);
      frames.MarkFree(index + i, 1);
    }
  }
}

FrameUsage GetFrameUsage(Paddr p) { return meta.usage(p / kPageSize); }
uint64_t GetFrameRefcount(Paddr p) { return meta.refcount(p / kPageSize); }

uint64_t UFrame::refcount() const { return GetFrameRefcount(paddr_); }

Result<UFrame> UFrame::Alloc(bool zeroed) {
  OSTD_TRY_ASSIGN(Paddr p, FrameAllocOptions().zeroed(zeroed).AllocOne());
  return UFrame(p);
}

UFrame::UFrame(const UFrame& other) : paddr_(other.paddr_) {
  if (paddr_ != kNone) OSTD_ASSERT(meta.Get(paddr_ / kPageSize));
}

UFrame& UFrame::operator=(const UFrame& other) {
  if (this != &other) {
    if (other.paddr_ != kNone) OSTD_ASSERT(meta.Get(other.paddr_ / kPageSize));
    Reset();
    paddr_ = other.paddr_;
  }
  return *this;
}

UFrame& UFrame::operator=(UFrame&& other) noexcept {
  if (this != &other) {
    Reset();
    paddr_ = other.paddr_;
    other.paddr_ = kNone;
  }
  return *this;
}

void UFrame::Reset() {
  if (paddr_ != kNone) FreeFrames(paddr_);
  paddr_ = kNone;
}

Result<USegment> USegment::Alloc(size_t count, bool zeroed, size_t align_frames) {
  OSTD_TRY_ASSIGN(Paddr p, FrameAllocOptions().zeroed(zeroed).AllocContiguous(count, align_frames));
  return USegment(p, count);
}

USegment& USegment::operator=(USegment&& other) {
  if (this != &other) {
    Reset();
    paddr_ = other.paddr_;
    count_ = other.count_;
    other.count_ = 0;
  }
  return *this;
}

void USegment::Reset() {
  if (count_ != 0) FreeFrames(paddr_, count_);
  count_ = 0;
}

FrameStats GetFrameStats() {
  SpinLockGuard guard(frame_lock);
  return FrameStats{total_frames, frames.free_count()};
}

}  // namespace ostd::mm

namespace ostd::internal {

uint64_t ManagedFrameCount() { return mm::meta.size(); }

void InitFrameAllocator(std::span<const MemoryRegion> map) {
  using mm::kPageSize;
  Paddr top = 0;
  for (const MemoryRegion& r : map) {
    if (r.kind == MemoryRegionKind::kUsable && r.end() > top) top = r.end();
  }
  size_t count = top / kPageSize;
  size_t words = mm::BitmapAllocator::WordsFor(count);
  // One region holds the bitmap and, after it, one metadata word per frame.
  uint64_t bitmap_only = mm::AlignUp(words * 8, kPageSize);
  uint64_t bitmap_bytes = bitmap_only + mm::AlignUp(count * 8, kPageSize);

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
  __builtin_memset(raw.data() + bitmap_only, 0, bitmap_bytes - bitmap_only);
  // SAFETY: zeroed above; an all-zero atomic word is a valid free entry.
  mm::meta = mm::FrameMetaTable(std::span<mm::FrameMetaTable::Word>(
      reinterpret_cast<mm::FrameMetaTable::Word*>(raw.data() + bitmap_only), count));
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
  // Everything the allocator will never hand out is reserved in the metadata, so
  // a stray FreeFrames() on it is caught as misuse.
  for (size_t i = 0; i < count; ++i) {
    if (!mm::frames.IsFree(i)) mm::meta.MarkReserved(i);
  }
}

}  // namespace ostd::internal
