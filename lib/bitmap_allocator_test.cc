#include "lib/bitmap_allocator.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

#include <gtest/gtest.h>

namespace klib {
namespace {

// An allocator together with the storage it owns (up to 64 * 30 indices).
class Bitmap {
 public:
  explicit Bitmap(size_t count) : words_(BitmapAllocator::WordsFor(count)) {
    // One spare word past the end, filled with ones, catches writes past WordsFor().
    storage_.fill(~0ull);
    alloc_.Init(std::span<uint64_t>(storage_).first(words_ + 1), count);
  }

  BitmapAllocator* operator->() { return &alloc_; }
  BitmapAllocator& get() { return alloc_; }
  uint64_t spare_word() const { return storage_.at(words_); }

 private:
  size_t words_;
  std::array<uint64_t, 32> storage_{};
  BitmapAllocator alloc_;
};

// A set of indices below kMaxIndex: std::set without the heap.
class IndexSet {
 public:
  static constexpr size_t kMaxIndex = 1024;

  IndexSet() = default;
  IndexSet(std::initializer_list<size_t> init) {
    for (size_t i : init) insert(i);
  }

  // True if `i` was not in the set before.
  bool insert(size_t i) {
    if (in_.at(i)) return false;
    in_.at(i) = true;
    ++size_;
    return true;
  }
  // 1 if `i` was in the set (and is no more), else 0.
  size_t erase(size_t i) {
    if (!count(i)) return 0;
    in_.at(i) = false;
    --size_;
    return 1;
  }
  size_t count(size_t i) const { return i < kMaxIndex && in_.at(i) ? 1 : 0; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The n-th smallest member (n < size()).
  size_t nth(size_t n) const {
    for (size_t i = 0; i < kMaxIndex; ++i) {
      if (in_.at(i) && n-- == 0) return i;
    }
    return kMaxIndex;
  }

  friend bool operator==(const IndexSet&, const IndexSet&) = default;

 private:
  std::array<bool, kMaxIndex> in_{};
  size_t size_ = 0;
};

// A small deterministic generator (xorshift64*), in place of std::mt19937.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed | 1) {}
  uint32_t operator()() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<uint32_t>((state_ * 0x2545f4914f6cdd1dull) >> 32);
  }

 private:
  uint64_t state_;
};

TEST(BitmapAllocatorTest, WordsFor) {
  // The bitmap's words and the summary's (one bit per bitmap word).
  EXPECT_EQ(BitmapAllocator::WordsFor(0), 0u);
  EXPECT_EQ(BitmapAllocator::WordsFor(1), 2u);
  EXPECT_EQ(BitmapAllocator::WordsFor(64), 2u);
  EXPECT_EQ(BitmapAllocator::WordsFor(65), 3u);
  EXPECT_EQ(BitmapAllocator::WordsFor(128), 3u);
  EXPECT_EQ(BitmapAllocator::WordsFor(64 * 64), 65u);
  EXPECT_EQ(BitmapAllocator::WordsFor(64 * 64 + 1), 67u);
}

TEST(BitmapAllocatorTest, InitMarksEverythingUsed) {
  Bitmap b(200);
  EXPECT_EQ(b->capacity(), 200u);
  EXPECT_EQ(b->free_count(), 0u);
  for (size_t i = 0; i < 200; ++i) EXPECT_FALSE(b->IsFree(i)) << i;
  EXPECT_FALSE(b->IsFree(200));
  EXPECT_FALSE(b->IsFree(SIZE_MAX));
  EXPECT_EQ(b->Allocate(), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(2, 1), std::nullopt);
  EXPECT_EQ(b.spare_word(), ~0ull);
}

TEST(BitmapAllocatorTest, EmptyAllocator) {
  BitmapAllocator a;
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(a.free_count(), 0u);
  EXPECT_EQ(a.Allocate(), std::nullopt);
  EXPECT_EQ(a.AllocateContiguous(1, 1), std::nullopt);
  EXPECT_EQ(a.AllocateContiguous(4, 4), std::nullopt);
  EXPECT_FALSE(a.IsFree(0));
  a.MarkFree(0, 10);
  EXPECT_EQ(a.free_count(), 0u);
}

TEST(BitmapAllocatorTest, MarkFreeAndUsedCounts) {
  Bitmap b(256);
  b->MarkFree(10, 20);
  EXPECT_EQ(b->free_count(), 20u);
  EXPECT_FALSE(b->IsFree(9));
  EXPECT_TRUE(b->IsFree(10));
  EXPECT_TRUE(b->IsFree(29));
  EXPECT_FALSE(b->IsFree(30));
  // Freeing an already free range does not double count.
  b->MarkFree(15, 20);
  EXPECT_EQ(b->free_count(), 25u);
  b->MarkUsed(12, 3);
  EXPECT_EQ(b->free_count(), 22u);
  EXPECT_FALSE(b->IsFree(12));
  EXPECT_FALSE(b->IsFree(14));
  EXPECT_TRUE(b->IsFree(15));
  // Using an already used range does not double count.
  b->MarkUsed(0, 14);
  EXPECT_EQ(b->free_count(), 20u);
  b->MarkUsed(0, 256);
  EXPECT_EQ(b->free_count(), 0u);
  // Zero-length ranges are no-ops.
  b->MarkFree(5, 0);
  EXPECT_EQ(b->free_count(), 0u);
}

TEST(BitmapAllocatorTest, MarkPastEndIsIgnored) {
  Bitmap b(100);
  b->MarkFree(90, 1000);
  EXPECT_EQ(b->free_count(), 10u);
  b->MarkFree(100, 5);
  b->MarkFree(5000, 5);
  EXPECT_EQ(b->free_count(), 10u);
  EXPECT_FALSE(b->IsFree(100));
  b->MarkUsed(95, 1000);
  EXPECT_EQ(b->free_count(), 5u);
  EXPECT_EQ(b.spare_word(), ~0ull);
}

TEST(BitmapAllocatorTest, MarkWithHugeCountReachesTheEnd) {
  // [first, first + count) extends past the end, so everything from `first` on
  // is affected, even when first + count does not fit in a size_t.
  Bitmap b(100);
  b->MarkFree(0, SIZE_MAX);
  EXPECT_EQ(b->free_count(), 100u);
  b->MarkUsed(0, 100);
  b->MarkFree(40, SIZE_MAX);
  EXPECT_EQ(b->free_count(), 60u);
  EXPECT_TRUE(b->IsFree(40));
  EXPECT_TRUE(b->IsFree(99));
  b->MarkUsed(50, SIZE_MAX);
  EXPECT_EQ(b->free_count(), 10u);
  EXPECT_FALSE(b->IsFree(50));
}

TEST(BitmapAllocatorTest, AllocateUntilExhausted) {
  Bitmap b(130);
  b->MarkFree(0, 130);
  IndexSet seen;
  for (size_t i = 0; i < 130; ++i) {
    std::optional<size_t> idx = b->Allocate();
    ASSERT_TRUE(idx.has_value()) << i;
    EXPECT_LT(*idx, 130u);
    EXPECT_TRUE(seen.insert(*idx)) << *idx;
    EXPECT_FALSE(b->IsFree(*idx));
  }
  EXPECT_EQ(b->free_count(), 0u);
  EXPECT_EQ(b->Allocate(), std::nullopt);
  EXPECT_EQ(b->Allocate(), std::nullopt);
  EXPECT_EQ(b.spare_word(), ~0ull);
}

TEST(BitmapAllocatorTest, AllocatesOnlyFreeIndices) {
  Bitmap b(1000);
  b->MarkFree(700, 3);
  b->MarkFree(5, 1);
  IndexSet got;
  for (int i = 0; i < 4; ++i) {
    std::optional<size_t> idx = b->Allocate();
    ASSERT_TRUE(idx.has_value());
    got.insert(*idx);
  }
  EXPECT_EQ(got, (IndexSet{5, 700, 701, 702}));
  EXPECT_EQ(b->Allocate(), std::nullopt);
}

TEST(BitmapAllocatorTest, FreeAndReuse) {
  Bitmap b(64);
  b->MarkFree(0, 64);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(b->Allocate().has_value());
  EXPECT_EQ(b->Allocate(), std::nullopt);
  b->MarkFree(37, 1);
  EXPECT_EQ(b->free_count(), 1u);
  EXPECT_EQ(b->Allocate(), 37u);
  EXPECT_EQ(b->Allocate(), std::nullopt);
  b->MarkFree(3, 1);
  b->MarkFree(63, 1);
  IndexSet got{*b->Allocate(), *b->Allocate()};
  EXPECT_EQ(got, (IndexSet{3, 63}));
}

TEST(BitmapAllocatorTest, ReuseAcrossWordsWithHint) {
  // The next-fit hint must wrap around to find indices freed behind it.
  Bitmap b(64 * 4);
  b->MarkFree(0, 64 * 4);
  for (int i = 0; i < 64 * 4; ++i) ASSERT_TRUE(b->Allocate().has_value());
  b->MarkFree(2, 1);
  EXPECT_EQ(b->Allocate(), 2u);
  b->MarkFree(200, 1);
  EXPECT_EQ(b->Allocate(), 200u);
  b->MarkFree(1, 1);
  EXPECT_EQ(b->Allocate(), 1u);
}

TEST(BitmapAllocatorTest, FreedIndexBelowTheHintIsReusedFirst) {
  // Memory freed behind the allocation point comes back next (the caches
  // and the host still hold it), not after a lap over untouched indices.
  Bitmap b(64 * 8);
  b->MarkFree(0, 64 * 8);
  for (int i = 0; i < 64 * 3 + 10; ++i) ASSERT_TRUE(b->Allocate().has_value());
  b->MarkFree(70, 1);
  b->MarkFree(5, 1);
  EXPECT_EQ(b->Allocate(), 5u);
  EXPECT_EQ(b->Allocate(), 70u);
  // Then on from there: the words between are full (the summary skips
  // them), so the next is past everything handed out.
  EXPECT_EQ(b->Allocate(), 64u * 3 + 10);
  // A free above the hint does not move it.
  b->MarkFree(64 * 7, 1);
  EXPECT_EQ(b->Allocate(), 64u * 3 + 11);
}

TEST(BitmapAllocatorTest, SummarySkipsFullWordsAcrossSummaryWords) {
  // 64 * 64 * 3 indices: three summary words. Two indices free, far apart.
  static std::array<uint64_t, BitmapAllocator::WordsFor(64 * 64 * 3)> storage;
  BitmapAllocator a;
  a.Init(storage, 64 * 64 * 3);
  a.MarkFree(64 * 64 * 3 - 1, 1);
  a.MarkFree(64 * 64 + 7, 1);
  EXPECT_EQ(a.Allocate(), 64u * 64 + 7);
  EXPECT_EQ(a.Allocate(), 64u * 64 * 3 - 1);
  EXPECT_EQ(a.Allocate(), std::nullopt);
  // Freed again in the other order, each comes back from wherever the hint is.
  a.MarkFree(64 * 64 + 7, 1);
  a.MarkFree(3, 1);
  EXPECT_EQ(a.Allocate(), 3u);
  EXPECT_EQ(a.Allocate(), 64u * 64 + 7);
  EXPECT_EQ(a.free_count(), 0u);
}

TEST(BitmapAllocatorTest, CountNotMultipleOf64) {
  for (size_t count : {1u, 63u, 65u, 100u, 191u}) {
    SCOPED_TRACE(count);
    Bitmap b(count);
    b->MarkFree(0, count + 100);
    EXPECT_EQ(b->free_count(), count);
    IndexSet seen;
    while (std::optional<size_t> idx = b->Allocate()) {
      EXPECT_LT(*idx, count);
      EXPECT_TRUE(seen.insert(*idx));
    }
    EXPECT_EQ(seen.size(), count);
    EXPECT_EQ(b->free_count(), 0u);
    // A contiguous run cannot spill into the tail bits of the last word.
    b->MarkFree(0, count);
    EXPECT_EQ(b->AllocateContiguous(count + 1, 1), std::nullopt);
    std::optional<size_t> all = b->AllocateContiguous(count, 1);
    EXPECT_EQ(all, std::optional<size_t>(0));
    EXPECT_EQ(b->free_count(), 0u);
    EXPECT_EQ(b.spare_word(), ~0ull);
  }
}

TEST(BitmapAllocatorTest, RandomizedNeverDoubleAllocates) {
  constexpr size_t kCount = 777;
  Bitmap b(kCount);
  Rng rng(12345);
  IndexSet free_model;
  // Start with a patchy free set.
  for (size_t i = 0; i < kCount; ++i) {
    if (rng() % 3 != 0) {
      b->MarkFree(i, 1);
      free_model.insert(i);
    }
  }
  IndexSet allocated;
  for (int step = 0; step < 20000; ++step) {
    uint32_t op = rng() % 10;
    if (op < 5) {
      std::optional<size_t> idx = b->Allocate();
      if (free_model.empty()) {
        ASSERT_EQ(idx, std::nullopt) << step;
        continue;
      }
      ASSERT_TRUE(idx.has_value()) << step;
      ASSERT_EQ(free_model.erase(*idx), 1u) << "handed out a non-free index " << *idx;
      ASSERT_TRUE(allocated.insert(*idx)) << *idx;
    } else if (op < 7) {
      size_t count = 1 + rng() % 8;
      size_t align = size_t{1} << (rng() % 4);
      std::optional<size_t> first = b->AllocateContiguous(count, align);
      if (!first.has_value()) continue;
      ASSERT_EQ(*first % align, 0u);
      for (size_t i = *first; i < *first + count; ++i) {
        ASSERT_EQ(free_model.erase(i), 1u) << "contiguous run took a non-free index " << i;
        ASSERT_TRUE(allocated.insert(i));
      }
    } else if (!allocated.empty()) {
      size_t idx = allocated.nth(rng() % allocated.size());
      allocated.erase(idx);
      b->MarkFree(idx, 1);
      free_model.insert(idx);
    }
    ASSERT_EQ(b->free_count(), free_model.size()) << step;
  }
  for (size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(b->IsFree(i), free_model.count(i) == 1) << i;
  }
}

TEST(BitmapAllocatorTest, ContiguousWithAlignment) {
  Bitmap b(512);
  b->MarkFree(0, 512);
  b->MarkUsed(0, 1);  // Index 0 taken: an aligned run of 8 must start at 8 or later.
  EXPECT_EQ(b->AllocateContiguous(8, 8), 8u);
  EXPECT_EQ(b->free_count(), 511u - 8u);
  for (size_t i = 8; i < 16; ++i) EXPECT_FALSE(b->IsFree(i)) << i;
  EXPECT_TRUE(b->IsFree(16));
  EXPECT_TRUE(b->IsFree(1));
  // Unaligned runs can use the gap at 1..7.
  EXPECT_EQ(b->AllocateContiguous(7, 1), 1u);
  // Alignment larger than a word.
  EXPECT_EQ(b->AllocateContiguous(10, 128), 128u);
  EXPECT_EQ(b->AllocateContiguous(1, 256), 256u);
  EXPECT_EQ(b->AllocateContiguous(3, 256), std::nullopt);  // 512 is past the end
  std::optional<size_t> r = b->AllocateContiguous(16, 16);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r % 16, 0u);
  EXPECT_EQ(*r, 16u);
}

TEST(BitmapAllocatorTest, ContiguousSpanningWords) {
  Bitmap b(256);
  b->MarkFree(60, 10);  // 60..69 crosses the first word boundary
  EXPECT_EQ(b->AllocateContiguous(11, 1), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(10, 1), 60u);
  EXPECT_EQ(b->free_count(), 0u);
  // A run that starts in the middle of word 1 and ends in word 3.
  b->MarkFree(100, 150);
  EXPECT_EQ(b->AllocateContiguous(151, 1), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(140, 8), 104u);
  EXPECT_EQ(b->free_count(), 10u);
}

TEST(BitmapAllocatorTest, ContiguousUsesExactFit) {
  Bitmap b(256);
  b->MarkFree(100, 150);
  EXPECT_EQ(b->AllocateContiguous(150, 4), 100u);
  EXPECT_EQ(b->free_count(), 0u);
}

TEST(BitmapAllocatorTest, ContiguousFailsWhenFragmented) {
  Bitmap b(256);
  // Every other index free: plenty of free indices, no run of two.
  for (size_t i = 0; i < 256; i += 2) b->MarkFree(i, 1);
  EXPECT_EQ(b->free_count(), 128u);
  EXPECT_EQ(b->AllocateContiguous(2, 1), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(2, 2), std::nullopt);
  EXPECT_EQ(b->free_count(), 128u);
  EXPECT_EQ(b->AllocateContiguous(1, 2), 0u);
  // Runs of 3 free, but never 4-aligned runs of 4.
  Bitmap c(256);
  for (size_t i = 0; i < 256; i += 4) c->MarkFree(i + 1, 3);
  EXPECT_EQ(c->AllocateContiguous(4, 1), std::nullopt);
  EXPECT_EQ(c->AllocateContiguous(3, 4), std::nullopt);
  EXPECT_EQ(c->AllocateContiguous(3, 1), 1u);
  EXPECT_EQ(c->AllocateContiguous(2, 2), 6u);
}

TEST(BitmapAllocatorTest, ContiguousMoreThanFree) {
  Bitmap b(128);
  b->MarkFree(0, 10);
  EXPECT_EQ(b->AllocateContiguous(11, 1), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(SIZE_MAX, 1), std::nullopt);
  EXPECT_EQ(b->free_count(), 10u);
}

TEST(BitmapAllocatorTest, ContiguousBadArguments) {
  Bitmap b(128);
  b->MarkFree(0, 128);
  EXPECT_EQ(b->AllocateContiguous(0, 1), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(4, 0), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(4, 3), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(4, 6), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(1, 12), std::nullopt);
  EXPECT_EQ(b->AllocateContiguous(1, 0), std::nullopt);
  EXPECT_EQ(b->free_count(), 128u);
  // A huge power-of-two alignment only fits at index 0.
  EXPECT_EQ(b->AllocateContiguous(2, size_t{1} << 63), 0u);
  EXPECT_EQ(b->AllocateContiguous(2, size_t{1} << 63), std::nullopt);
  EXPECT_EQ(b->free_count(), 126u);
}

TEST(BitmapAllocatorTest, ContiguousSingleFallsBackToAllocate) {
  Bitmap b(128);
  b->MarkFree(77, 1);
  EXPECT_EQ(b->AllocateContiguous(1, 1), 77u);
  EXPECT_EQ(b->AllocateContiguous(1, 1), std::nullopt);
  EXPECT_EQ(b->free_count(), 0u);
}

TEST(BitmapAllocatorTest, ReinitResetsState) {
  std::array<uint64_t, BitmapAllocator::WordsFor(200)> storage{};
  BitmapAllocator a;
  a.Init(std::span<uint64_t>(storage), 200);
  a.MarkFree(0, 200);
  ASSERT_TRUE(a.Allocate().has_value());
  a.Init(std::span<uint64_t>(storage), 100);
  EXPECT_EQ(a.free_count(), 0u);
  EXPECT_EQ(a.capacity(), 100u);
  EXPECT_FALSE(a.IsFree(5));
  EXPECT_EQ(a.Allocate(), std::nullopt);
}

}  // namespace
}  // namespace klib
