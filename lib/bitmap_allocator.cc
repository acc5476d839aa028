#include "lib/bitmap_allocator.h"

#include <bit>

namespace klib {

void BitmapAllocator::Init(std::span<uint64_t> storage, size_t count) {
  bits_ = storage.first(WordsFor(count));
  for (uint64_t& w : bits_) w = 0;
  count_ = count;
  free_ = 0;
  hint_ = 0;
}

bool BitmapAllocator::IsFree(size_t index) const {
  return index < count_ && (bits_[index / 64] >> (index % 64)) & 1;
}

void BitmapAllocator::MarkFree(size_t first, size_t count) {
  // `i - first < count` rather than `i < first + count`: the sum may wrap.
  for (size_t i = first; i - first < count && i < count_; ++i) {
    uint64_t mask = uint64_t{1} << (i % 64);
    if (!(bits_[i / 64] & mask)) {
      bits_[i / 64] |= mask;
      ++free_;
    }
  }
}

void BitmapAllocator::MarkUsed(size_t first, size_t count) {
  for (size_t i = first; i - first < count && i < count_; ++i) {
    uint64_t mask = uint64_t{1} << (i % 64);
    if (bits_[i / 64] & mask) {
      bits_[i / 64] &= ~mask;
      --free_;
    }
  }
}

std::optional<size_t> BitmapAllocator::Allocate() {
  if (free_ == 0) return std::nullopt;
  size_t words = bits_.size();
  for (size_t n = 0; n < words; ++n) {
    size_t w = (hint_ + n) % words;
    if (bits_[w] != 0) {
      size_t bit = static_cast<size_t>(std::countr_zero(bits_[w]));
      size_t index = w * 64 + bit;
      if (index >= count_) continue;
      bits_[w] &= ~(uint64_t{1} << bit);
      --free_;
      hint_ = w;
      return index;
    }
  }
  return std::nullopt;
}

std::optional<size_t> BitmapAllocator::AllocateContiguous(size_t count, size_t align) {
  if (count == 0 || align == 0 || (align & (align - 1)) != 0) return std::nullopt;
  if (count == 1 && align == 1) return Allocate();
  if (count > free_) return std::nullopt;
  size_t start = 0;
  while (start + count <= count_) {
    // Skip whole used words quickly.
    if (start % 64 == 0 && bits_[start / 64] == 0) {
      start += 64;
      start = (start + align - 1) & ~(align - 1);
      continue;
    }
    size_t run = 0;
    while (run < count && IsFree(start + run)) ++run;
    if (run == count) {
      MarkUsed(start, count);
      return start;
    }
    // Restart past the used index, aligned.
    start = (start + run + 1 + align - 1) & ~(align - 1);
  }
  return std::nullopt;
}

}  // namespace klib
