#include "lib/bitmap_allocator.h"

#include <bit>

namespace klib {

void BitmapAllocator::Init(std::span<uint64_t> storage, size_t count) {
  size_t words = (count + 63) / 64;
  bits_ = storage.first(words);
  summary_ = storage.subspan(words, (words + 63) / 64);
  for (uint64_t& w : bits_) w = 0;
  for (uint64_t& w : summary_) w = 0;
  count_ = count;
  free_ = 0;
  hint_ = 0;
}

void BitmapAllocator::Summarize(size_t w) {
  uint64_t bit = uint64_t{1} << (w % 64);
  if (bits_[w] != 0) {
    summary_[w / 64] |= bit;
  } else {
    summary_[w / 64] &= ~bit;
  }
}

std::optional<size_t> BitmapAllocator::NextFreeWord(size_t from) const {
  size_t words = bits_.size();
  if (words == 0) return std::nullopt;
  from %= words;
  size_t sw = from / 64;
  // The first summary word, from `from`'s bit on; then every summary word
  // once (the last pass also covers the bits below `from` in the first).
  uint64_t first = summary_[sw] & (~uint64_t{0} << (from % 64));
  if (first != 0) return sw * 64 + static_cast<size_t>(std::countr_zero(first));
  for (size_t n = 1; n <= summary_.size(); ++n) {
    size_t i = (sw + n) % summary_.size();
    if (summary_[i] != 0) return i * 64 + static_cast<size_t>(std::countr_zero(summary_[i]));
  }
  return std::nullopt;
}

bool BitmapAllocator::IsFree(size_t index) const {
  return index < count_ && (bits_[index / 64] >> (index % 64)) & 1;
}

void BitmapAllocator::MarkFree(size_t first, size_t count) {
  if (count != 0 && first < count_ && first / 64 < hint_) hint_ = first / 64;
  // `i - first < count` rather than `i < first + count`: the sum may wrap.
  for (size_t i = first; i - first < count && i < count_; ++i) {
    uint64_t mask = uint64_t{1} << (i % 64);
    if (!(bits_[i / 64] & mask)) {
      bits_[i / 64] |= mask;
      ++free_;
      Summarize(i / 64);
    }
  }
}

void BitmapAllocator::MarkUsed(size_t first, size_t count) {
  for (size_t i = first; i - first < count && i < count_; ++i) {
    uint64_t mask = uint64_t{1} << (i % 64);
    if (bits_[i / 64] & mask) {
      bits_[i / 64] &= ~mask;
      --free_;
      Summarize(i / 64);
    }
  }
}

std::optional<size_t> BitmapAllocator::Allocate() {
  if (free_ == 0) return std::nullopt;
  // Bits past count_ in the last word are never set, so a word in the
  // summary always has an index below count_.
  std::optional<size_t> w = NextFreeWord(hint_);
  if (!w) return std::nullopt;
  size_t bit = static_cast<size_t>(std::countr_zero(bits_[*w]));
  bits_[*w] &= ~(uint64_t{1} << bit);
  --free_;
  Summarize(*w);
  hint_ = *w;
  return *w * 64 + bit;
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
