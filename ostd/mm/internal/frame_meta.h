// Per-frame metadata: what a physical page is used for and how many handles
// refer to it, packed in one atomic word per frame.
//
// A frame becomes "in use" only through TryClaim(), a compare-and-swap from the
// free state, so even a buggy allocator that offers the same page twice cannot
// make two owners: the second claim fails. Pure logic over caller-provided
// storage: tested on the host, used by the kernel's frame allocator.
#ifndef OSTD_MM_INTERNAL_FRAME_META_H_
#define OSTD_MM_INTERNAL_FRAME_META_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ostd::mm {

// What a physical frame is used for, stored in its metadata word.
enum class FrameUsage : uint8_t {
  kFree = 0,     // in the allocator's free space, no references
  kReserved,     // firmware, kernel image, boot structures: never allocatable
  kPageTable,    // typed: page-table pages
  kKernelStack,  // typed
  kHeap,         // typed: heap slabs and large allocations
  kMeta,         // typed: allocator metadata itself
  kUntyped,      // user pages, DMA, page cache: reachable only through VmReader/VmWriter
};

// A short lower-case name for log lines ("free", "page-table", ...); "?" for a
// value outside the enumeration. The string is static.
std::string_view FrameUsageName(FrameUsage usage);

// Typed frames hold kernel objects; the public API never reads or writes them.
constexpr bool IsTyped(FrameUsage u) {
  return u == FrameUsage::kPageTable || u == FrameUsage::kKernelStack || u == FrameUsage::kHeap ||
         u == FrameUsage::kMeta;
}

// The metadata words of a range of frames (frame numbers 0..size()-1), over
// storage the caller owns and keeps alive as long as the table. Every method
// is a lock-free atomic operation, safe from any CPU and any context; a frame
// number out of range is refused (false, kReserved, 0), never an out-of-bounds
// access. A default-constructed table is empty.
class FrameMetaTable {
 public:
  // Layout of a word: bits 0..7 usage, bits 8..63 reference count.
  using Word = std::atomic<uint64_t>;

  FrameMetaTable() = default;
  // `storage` must hold one word per frame, all zero (= free, refcount 0).
  explicit FrameMetaTable(std::span<Word> storage) : words_(storage) {}

  // The number of frames the table covers.
  size_t size() const { return words_.size(); }

  // Marks a never-allocatable frame (outside the allocator's free space).
  void MarkReserved(size_t frame);

  // Free -> `usage` with refcount 1, atomically. False if the frame is not free
  // (already claimed, reserved) or out of range: the caller must not use it.
  bool TryClaim(size_t frame, FrameUsage usage);

  // One more reference to an in-use frame. False if the frame is free/reserved.
  bool Get(size_t frame);

  // Drops one reference. Returns true when it was the last one: the frame is
  // free again and the caller must give it back to the allocator. Returns false
  // otherwise; `misuse` is set if the frame was not in use (double free) or
  // out of range, and cleared otherwise.
  bool Put(size_t frame, bool& misuse);

  // The frame's current usage (an acquire load; it may change right after);
  // kReserved for a frame number out of range.
  FrameUsage usage(size_t frame) const;
  // The frame's current reference count (an acquire load; it may change right
  // after); 0 for a free or reserved frame or one out of range.
  uint64_t refcount(size_t frame) const;

 private:
  static constexpr uint64_t kUsageMask = 0xff;
  static constexpr uint64_t kRefOne = 0x100;
  std::span<Word> words_;
};

}  // namespace ostd::mm

#endif  // OSTD_MM_INTERNAL_FRAME_META_H_
