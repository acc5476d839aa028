// Slab heap: size classes 16..2048 bytes carved from single frames, larger
// requests as contiguous frames. Per-frame metadata records which class a heap
// frame belongs to, so free needs no size and small blocks need no header.
#include "ostd/mm/heap.h"

#include <new>

#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/sync.h"

namespace ostd::mm {
namespace {

constexpr int kClasses = 8;  // 16 << i
constexpr uint8_t kNotHeap = 0;
constexpr uint8_t kLargeHead = 0xfe;
constexpr uint8_t kLargeTail = 0xfd;
// Slab frames store class + 1 so that 0 means "not a heap frame".

struct FreeBlock {
  FreeBlock* next;
};

SpinLock heap_lock;
FreeBlock* free_lists[kClasses] ABSL_GUARDED_BY(heap_lock) = {};
uint8_t* frame_meta ABSL_GUARDED_BY(heap_lock) = nullptr;  // one byte per physical frame
uint64_t meta_frames ABSL_GUARDED_BY(heap_lock) = 0;
HeapStats stats ABSL_GUARDED_BY(heap_lock) = {};

int ClassFor(size_t size) {
  size_t c = 16;
  for (int i = 0; i < kClasses; ++i, c <<= 1) {
    if (size <= c) return i;
  }
  return -1;
}

size_t ClassSize(int cls) { return size_t{16} << cls; }

uint64_t FrameIndex(const void* p) {
  // SAFETY: heap pointers are linear-map addresses of frames we own.
  return internal::VirtToPhys(reinterpret_cast<uint64_t>(p)) / kPageSize;
}

void* FrameVirt(Paddr p) {
  // SAFETY: the linear map covers every frame the allocator returns.
  return reinterpret_cast<void*>(internal::PhysToVirt(p));
}

void* AllocSmall(int cls) ABSL_EXCLUSIVE_LOCKS_REQUIRED(heap_lock) {
  if (free_lists[cls] == nullptr) {
    Result<Paddr> frame = FrameAllocOptions().zeroed(false).usage(FrameUsage::kHeap).AllocOne();
    if (!frame) return nullptr;
    size_t sz = ClassSize(cls);
    // SAFETY: a fresh frame split into blocks of the class size; each block is
    // big enough (>= 16 bytes) and aligned for a FreeBlock.
    uint8_t* base = static_cast<uint8_t*>(FrameVirt(*frame));
    for (size_t off = 0; off < kPageSize; off += sz) {
      FreeBlock* b = reinterpret_cast<FreeBlock*>(base + off);
      b->next = free_lists[cls];
      free_lists[cls] = b;
    }
    frame_meta[*frame / kPageSize] = static_cast<uint8_t>(cls + 1);
    ++stats.slab_frames;
  }
  FreeBlock* b = free_lists[cls];
  free_lists[cls] = b->next;
  stats.allocated_bytes += ClassSize(cls);
  ++stats.allocations;
  return b;
}

void* AllocLarge(size_t size, size_t align) ABSL_EXCLUSIVE_LOCKS_REQUIRED(heap_lock) {
  size_t pages = AlignUp(size, kPageSize) / kPageSize;
  size_t align_frames = align > kPageSize ? align / kPageSize : 1;
  Result<Paddr> p = FrameAllocOptions()
                        .zeroed(false)
                        .usage(FrameUsage::kHeap)
                        .AllocContiguous(pages, align_frames);
  if (!p) return nullptr;
  uint64_t first = *p / kPageSize;
  frame_meta[first] = kLargeHead;
  for (size_t i = 1; i < pages; ++i) frame_meta[first + i] = kLargeTail;
  stats.allocated_bytes += pages * kPageSize;
  stats.large_frames += pages;
  ++stats.allocations;
  return FrameVirt(*p);
}

void* Allocate(size_t size, size_t align) {
  if (size == 0) size = 1;
  if (align == 0 || (align & (align - 1)) != 0) return nullptr;
  void* p;
  {
    SpinLockGuard guard(heap_lock);
    if (frame_meta == nullptr) return nullptr;  // before InitHeap()
    // Size classes are powers of two and blocks are aligned to their size.
    size_t need = size < align ? align : size;
    int cls = ClassFor(need);
    p = cls >= 0 ? AllocSmall(cls) : AllocLarge(size, align);
    if (p == nullptr) ++stats.failed;
  }
  return p;
}

void Free(void* ptr) {
  if (ptr == nullptr) return;
  SpinLockGuard guard(heap_lock);
  uint64_t frame = FrameIndex(ptr);
  OSTD_ASSERT(frame < meta_frames);
  uint8_t meta = frame_meta[frame];
  if (meta >= 1 && meta <= kClasses) {
    int cls = meta - 1;
    // SAFETY: ptr is a block of this class (it came from AllocSmall).
    FreeBlock* b = static_cast<FreeBlock*>(ptr);
    b->next = free_lists[cls];
    free_lists[cls] = b;
    stats.allocated_bytes -= ClassSize(cls);
    --stats.allocations;
    return;
  }
  if (meta != kLargeHead) OSTD_PANIC("heap: free of {} which is not a heap allocation", ptr);
  size_t pages = 1;
  frame_meta[frame] = kNotHeap;
  while (frame + pages < meta_frames && frame_meta[frame + pages] == kLargeTail) {
    frame_meta[frame + pages] = kNotHeap;
    ++pages;
  }
  FreeFrames(frame * kPageSize, pages);
  stats.allocated_bytes -= pages * kPageSize;
  stats.large_frames -= pages;
  --stats.allocations;
}

}  // namespace

HeapStats GetHeapStats() {
  SpinLockGuard guard(heap_lock);
  return stats;
}

}  // namespace ostd::mm

namespace ostd::internal {

void InitHeap() {
  using mm::kPageSize;
  uint64_t frames = ManagedFrameCount();
  uint64_t bytes = mm::AlignUp(frames, kPageSize);
  Result<Paddr> meta = mm::FrameAllocOptions()
                           .zeroed(true)
                           .usage(mm::FrameUsage::kMeta)
                           .AllocContiguous(bytes / kPageSize);
  if (!meta) OSTD_PANIC("heap: no memory for frame metadata ({} bytes)", bytes);
  SpinLockGuard guard(mm::heap_lock);
  mm::frame_meta = PhysBytes(*meta, bytes).data();
  mm::meta_frames = frames;
}

}  // namespace ostd::internal

// The C++ allocation functions. Kernel code uses `new (std::nothrow)`.
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return ostd::mm::Allocate(size, 16);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return ostd::mm::Allocate(size, 16);
}
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return ostd::mm::Allocate(size, static_cast<size_t>(align));
}
void* operator new(size_t size) {
  void* p = ostd::mm::Allocate(size, 16);
  if (p == nullptr) OSTD_PANIC("out of memory allocating {} bytes with plain new", size);
  return p;
}
void* operator new[](size_t size) {
  void* p = ostd::mm::Allocate(size, 16);
  if (p == nullptr) OSTD_PANIC("out of memory allocating {} bytes with plain new[]", size);
  return p;
}
void* operator new(size_t size, std::align_val_t align) {
  void* p = ostd::mm::Allocate(size, static_cast<size_t>(align));
  if (p == nullptr) OSTD_PANIC("out of memory allocating {} bytes with plain new", size);
  return p;
}
void operator delete(void* p) noexcept { ostd::mm::Free(p); }
void operator delete[](void* p) noexcept { ostd::mm::Free(p); }
void operator delete(void* p, size_t) noexcept { ostd::mm::Free(p); }
void operator delete[](void* p, size_t) noexcept { ostd::mm::Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { ostd::mm::Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { ostd::mm::Free(p); }
