#include "lib/unaccepted_units.h"

#include <array>
#include <atomic>
#include <cstdint>

#include "gtest/gtest.h"

namespace klib {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kUnit = UnacceptedUnits::kUnitSize;

class UnacceptedUnitsTest : public ::testing::Test {
 protected:
  // 2 words: units below 256 MiB.
  void SetUp() override {
    for (std::atomic<uint64_t>& w : words_) w.store(0);
    units_.Init(words_);
  }
  std::array<std::atomic<uint64_t>, 2> words_;
  UnacceptedUnits units_;
};

TEST_F(UnacceptedUnitsTest, WordsCoverTheTop) {
  EXPECT_EQ(UnacceptedUnits::WordsFor(0), 1u);
  EXPECT_EQ(UnacceptedUnits::WordsFor(126 * kMiB), 1u);  // units 0..63
  EXPECT_EQ(UnacceptedUnits::WordsFor(128 * kMiB), 2u);  // unit 64 is the top's
  EXPECT_EQ(UnacceptedUnits::WordsFor(uint64_t{1} << 40), 8193u);
}

TEST_F(UnacceptedUnitsTest, NothingPendingAtFirst) {
  EXPECT_EQ(units_.pending(), 0u);
  EXPECT_FALSE(units_.AnyPending(0, 256 * kMiB));
  EXPECT_FALSE(units_.FirstPending(0, 256 * kMiB).has_value());
}

TEST_F(UnacceptedUnitsTest, MarksWholeUnitsAndReturnsTheEdges) {
  // [3 MiB, 11 MiB + 4 KiB): units at 4, 6, 8 MiB; head [3, 4), tail [10, 11+).
  UnacceptedUnits::Edges e = units_.Mark(3 * kMiB, 8 * kMiB + 4096);
  EXPECT_EQ(e.head_base, 3 * kMiB);
  EXPECT_EQ(e.head_len, 1 * kMiB);
  EXPECT_EQ(e.tail_base, 10 * kMiB);
  EXPECT_EQ(e.tail_len, 1 * kMiB + 4096);
  EXPECT_EQ(units_.pending(), 3u);
  EXPECT_FALSE(units_.AnyPending(0, 4 * kMiB));
  EXPECT_TRUE(units_.AnyPending(4 * kMiB - 4096, 8192));  // straddles into unit 4 MiB
  EXPECT_EQ(*units_.FirstPending(5 * kMiB, 4096), 4 * kMiB);
  EXPECT_EQ(*units_.FirstPending(0, 64 * kMiB), 4 * kMiB);
  EXPECT_FALSE(units_.AnyPending(10 * kMiB, 10 * kMiB));
}

TEST_F(UnacceptedUnitsTest, AlignedRangeHasNoEdges) {
  UnacceptedUnits::Edges e = units_.Mark(64 * kMiB, 8 * kMiB);
  EXPECT_EQ(e.head_len, 0u);
  EXPECT_EQ(e.tail_len, 0u);
  EXPECT_EQ(units_.pending(), 4u);
  // Marking again does not count twice.
  units_.Mark(64 * kMiB, 8 * kMiB);
  EXPECT_EQ(units_.pending(), 4u);
}

TEST_F(UnacceptedUnitsTest, RangeWithoutAWholeUnitIsAllEdge) {
  UnacceptedUnits::Edges e = units_.Mark(5 * kMiB, 2 * kMiB);  // [5, 7): no whole unit
  EXPECT_EQ(e.head_base, 5 * kMiB);
  EXPECT_EQ(e.head_len, 2 * kMiB);
  EXPECT_EQ(e.tail_len, 0u);
  EXPECT_EQ(units_.pending(), 0u);
}

TEST_F(UnacceptedUnitsTest, PartAboveTheStorageIsReturnedAsTail) {
  // The storage covers [0, 256 MiB): of [250, 300 MiB) it marks the units
  // at 250, 252 and 254 MiB and returns the rest as the tail.
  UnacceptedUnits::Edges e = units_.Mark(250 * kMiB, 50 * kMiB);
  EXPECT_EQ(e.head_len, 0u);
  EXPECT_EQ(e.tail_base, 256 * kMiB);
  EXPECT_EQ(e.tail_len, 44 * kMiB);
  EXPECT_EQ(units_.pending(), 3u);  // 250, 252, 254
}

TEST_F(UnacceptedUnitsTest, ClearAcceptsOneUnit) {
  units_.Mark(0, 8 * kMiB);
  EXPECT_EQ(units_.pending(), 4u);
  units_.Clear(2 * kMiB);
  EXPECT_EQ(units_.pending(), 3u);
  EXPECT_FALSE(units_.AnyPending(2 * kMiB, kUnit));
  EXPECT_TRUE(units_.AnyPending(2 * kMiB, kUnit + 1));
  units_.Clear(2 * kMiB);  // twice: no change
  EXPECT_EQ(units_.pending(), 3u);
  // Accepting in FirstPending order visits each unit once.
  int visits = 0;
  while (std::optional<uint64_t> u = units_.FirstPending(0, 8 * kMiB)) {
    units_.Clear(*u);
    ++visits;
  }
  EXPECT_EQ(visits, 3);
  EXPECT_EQ(units_.pending(), 0u);
  units_.Clear(512 * kMiB);  // outside the storage: ignored
}

TEST_F(UnacceptedUnitsTest, WrappingRangeIsClamped) {
  UnacceptedUnits::Edges e = units_.Mark(UINT64_MAX - 4095, 8192);
  EXPECT_EQ(units_.pending(), 0u);
  EXPECT_EQ(e.head_base, UINT64_MAX - 4095);
  EXPECT_FALSE(units_.AnyPending(UINT64_MAX - 4095, 8192));
}

}  // namespace
}  // namespace klib
