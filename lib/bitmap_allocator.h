// A bitmap allocator over a range of indices (physical frames, in ostd).
//
// One bit per index, 1 = free. Single allocations use a next-fit hint and scan
// 64 indices per word; contiguous runs (with alignment) scan for a run of free
// bits. The bitmap storage belongs to the caller. Not thread-safe: the owner locks.
// Pure logic: tested on the host.
#ifndef LIB_BITMAP_ALLOCATOR_H_
#define LIB_BITMAP_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace klib {

class BitmapAllocator {
 public:
  // Words needed to track `count` indices.
  static constexpr size_t WordsFor(size_t count) { return (count + 63) / 64; }

  BitmapAllocator() = default;
  // Takes `storage` (at least WordsFor(count) words) with every index in use.
  void Init(std::span<uint64_t> storage, size_t count);

  // Marks [first, first+count) free / in use. Indices past the end are ignored.
  void MarkFree(size_t first, size_t count);
  void MarkUsed(size_t first, size_t count);

  // Allocates one index, or nullopt when none is free.
  std::optional<size_t> Allocate();
  // Allocates `count` contiguous indices whose first is a multiple of `align`
  // (a power of two). nullopt if no such run exists.
  std::optional<size_t> AllocateContiguous(size_t count, size_t align);

  bool IsFree(size_t index) const;
  size_t free_count() const { return free_; }
  size_t capacity() const { return count_; }

 private:
  std::span<uint64_t> bits_;
  size_t count_ = 0;
  size_t free_ = 0;
  size_t hint_ = 0;  // word index where the next single allocation starts looking
};

}  // namespace klib

#endif  // LIB_BITMAP_ALLOCATOR_H_
