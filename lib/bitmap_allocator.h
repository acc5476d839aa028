// A bitmap allocator over a range of indices (physical frames, in ostd).
//
// One bit per index, 1 = free, and a summary with one bit per bitmap word
// (1 = the word has a free index), so a search skips 4096 used indices per
// summary word. Single allocations take the first free index at or after a
// next-fit hint; a free behind the hint moves it back, so memory freed
// recently is handed out again first (as Linux's per-CPU lists hand out the
// page freed last: still in the caches and, under a hypervisor, already
// backed by the host) instead of after a lap over untouched memory.
// Contiguous runs (with alignment) scan for a run of free bits. The storage
// belongs to the caller. Not thread-safe: the owner locks. Pure logic:
// tested on the host.
#ifndef LIB_BITMAP_ALLOCATOR_H_
#define LIB_BITMAP_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace klib {

class BitmapAllocator {
 public:
  // Words of storage needed to track `count` indices: the bitmap and its
  // summary.
  static constexpr size_t WordsFor(size_t count) {
    size_t words = (count + 63) / 64;
    return words + (words + 63) / 64;
  }

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
  // Sets or clears bit `w` of the summary to match bits_[w].
  void Summarize(size_t w);
  // The first word at or after `from` with a free index (wrapping), if any.
  std::optional<size_t> NextFreeWord(size_t from) const;

  std::span<uint64_t> bits_;
  std::span<uint64_t> summary_;  // bit w: bits_[w] != 0
  size_t count_ = 0;
  size_t free_ = 0;
  size_t hint_ = 0;  // word index where the next single allocation starts looking
};

}  // namespace klib

#endif  // LIB_BITMAP_ALLOCATOR_H_
