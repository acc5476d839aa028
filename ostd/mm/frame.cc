#include "ostd/mm/frame.h"

#include <atomic>

#include "lib/unaccepted_units.h"
#include "ostd/boot/internal/memory_map.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/tdx_hooks.h"
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

// Lazily accepted memory: the units a TD's firmware left unaccepted, and the
// lock that accepts one at a time (a frame of a unit being accepted waits).
constinit klib::UnacceptedUnits unaccepted;
SpinLock accept_lock;
std::atomic<uint64_t> accepted_units{0};

void Accept(Paddr base, uint64_t len) {
  if (len == 0) return;
  Status s = internal::AcceptMemory(base, len);
  if (!s) OSTD_PANIC("cannot accept memory [{:#x}, {:#x}): {}", base, base + len, s.error());
}

// Accepts the units of [p, p + count frames) that are still unaccepted,
// before the frames are handed out. Nothing to do (one load) on a machine
// without unaccepted memory.
void EnsureAccepted(Paddr p, size_t count) {
  uint64_t len = count * kPageSize;
  if (!unaccepted.AnyPending(p, len)) return;  // first tests pending() == 0
  SpinLockGuard guard(accept_lock);
  while (std::optional<uint64_t> unit = unaccepted.FirstPending(p, len)) {
    Accept(*unit, klib::UnacceptedUnits::kUnitSize);
    unaccepted.Clear(*unit);
    accepted_units.fetch_add(1, std::memory_order_relaxed);
  }
}

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
  EnsureAccepted(p, 1);
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
  EnsureAccepted(p, count);
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

void MarkUnacceptedForSim(Paddr base, uint64_t len) {
  SpinLockGuard guard(accept_lock);
  // The caller owns the frames and made them pending: edges stay accepted.
  static_cast<void>(unaccepted.Mark(base, len));
}

AcceptStats GetAcceptStats() {
  return AcceptStats{unaccepted.pending(), accepted_units.load(std::memory_order_relaxed)};
}

}  // namespace ostd::mm

namespace ostd::internal {

uint64_t ManagedFrameCount() { return mm::meta.size(); }

void InitFrameAllocator(std::span<const MemoryRegion> map) {
  using mm::kPageSize;
  // Unaccepted RAM (EFI type 15) is usable only in a TD, which accepts it
  // unit by unit as frames are handed out (EnsureAccepted).
  bool accept = CanAcceptMemory();
  auto usable = [accept](const MemoryRegion& r) {
    return r.kind == MemoryRegionKind::kUsable ||
           (accept && r.kind == MemoryRegionKind::kUnaccepted);
  };
  Paddr top = 0;
  uint64_t refused = 0;
  for (const MemoryRegion& r : map) {
    if (usable(r) && r.end() > top) top = r.end();
    if (!accept && r.kind == MemoryRegionKind::kUnaccepted) refused += r.length;
  }
  if (refused != 0) {
    OSTD_LOG_WARN("mm: {} MiB of unaccepted memory left unused (not a TD)", refused >> 20);
  }
  size_t count = top / kPageSize;
  size_t words = mm::BitmapAllocator::WordsFor(count);
  size_t unaccepted_words = klib::UnacceptedUnits::WordsFor(top);
  // One region holds the bitmap, then one metadata word per frame, then the
  // unaccepted-unit bits (zero: all accepted).
  uint64_t bitmap_only = mm::AlignUp(words * 8, kPageSize);
  uint64_t meta_end = bitmap_only + mm::AlignUp(count * 8, kPageSize);
  uint64_t bitmap_bytes = meta_end + mm::AlignUp(unaccepted_words * 8, kPageSize);

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
  // SAFETY: zeroed above with the metadata; an all-zero word marks nothing.
  mm::unaccepted.Init(std::span<std::atomic<uint64_t>>(
      reinterpret_cast<std::atomic<uint64_t>*>(raw.data() + meta_end), unaccepted_words));
  for (const MemoryRegion& r : map) {
    if (!accept || r.kind != MemoryRegionKind::kUnaccepted) continue;
    // Whole units wait for their first frame; the edges are accepted now.
    klib::UnacceptedUnits::Edges e = mm::unaccepted.Mark(r.base, r.length);
    mm::Accept(e.head_base, e.head_len);
    mm::Accept(e.tail_base, e.tail_len);
  }
  SpinLockGuard guard(mm::frame_lock);
  mm::frames.Init(storage, count);
  for (const MemoryRegion& r : map) {
    if (usable(r)) mm::frames.MarkFree(r.base / kPageSize, r.length / kPageSize);
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
