#include "lib/tlb_op.h"

#include "gtest/gtest.h"

namespace klib {
namespace {

constexpr Vaddr kBase = 0xffffc90000100000;
constexpr uint64_t kPage = TlbFlushOp::kPageSize;

TEST(TlbFlushOpTest, PageEncodesAlignedStartAndOnePage) {
  TlbFlushOp op = TlbFlushOp::Page(kBase + 123);
  EXPECT_FALSE(op.is_all());
  EXPECT_FALSE(op.empty());
  EXPECT_EQ(op.start(), kBase);
  EXPECT_EQ(op.page_count(), 1u);
  EXPECT_EQ(op.end(), kBase + kPage);
  EXPECT_EQ(op.word(), kBase | 1);
}

TEST(TlbFlushOpTest, RangeRoundsOutToPages) {
  TlbFlushOp op = TlbFlushOp::Range(kBase + 10, kBase + 2 * kPage + 1);
  EXPECT_EQ(op.start(), kBase);
  EXPECT_EQ(op.page_count(), 3u);
  EXPECT_EQ(TlbFlushOp::Range(kBase, kBase + kPage), TlbFlushOp::Page(kBase));
}

TEST(TlbFlushOpTest, EmptyRangeIsEmpty) {
  EXPECT_TRUE(TlbFlushOp::Range(kBase, kBase).empty());
  EXPECT_TRUE(TlbFlushOp::Range(kBase + kPage, kBase).empty());
  EXPECT_FALSE(TlbFlushOp::All().empty());
}

TEST(TlbFlushOpTest, LongRangesCollapseToAll) {
  EXPECT_FALSE(TlbFlushOp::Range(kBase, kBase + 32 * kPage).is_all());
  EXPECT_EQ(TlbFlushOp::Range(kBase, kBase + 32 * kPage).page_count(), 32u);
  EXPECT_TRUE(TlbFlushOp::Range(kBase, kBase + 33 * kPage).is_all());
  EXPECT_TRUE(TlbFlushOp::Range(0, ~uint64_t{0}).is_all());
}

TEST(TlbFlushOpTest, RangeAtTopOfAddressSpaceDoesNotOverflow) {
  TlbFlushOp op = TlbFlushOp::Range(~uint64_t{0} - kPage, ~uint64_t{0});
  EXPECT_EQ(op.page_count(), 2u);
  EXPECT_EQ(op.start(), ~uint64_t{0} - 2 * kPage + 1);
}

TEST(TlbFlushOpTest, WordRoundTrips) {
  for (TlbFlushOp op : {TlbFlushOp::All(), TlbFlushOp::Page(kBase),
                        TlbFlushOp::Range(kBase, kBase + 7 * kPage), TlbFlushOp::Range(1, 1)}) {
    EXPECT_EQ(TlbFlushOp::FromWord(op.word()), op);
  }
  EXPECT_TRUE(TlbFlushOp::FromWord(kBase | 33).is_all()) << "invalid words flush everything";
}

TEST(TlbFlushBatchTest, StartsEmptyAndIgnoresEmptyOps) {
  TlbFlushBatch b;
  EXPECT_TRUE(b.empty());
  b.Add(TlbFlushOp::Range(kBase, kBase));
  EXPECT_TRUE(b.empty());
}

TEST(TlbFlushBatchTest, DisjointOpsAreKept) {
  TlbFlushBatch b;
  b.Add(TlbFlushOp::Page(kBase));
  b.Add(TlbFlushOp::Page(kBase + 10 * kPage));
  ASSERT_EQ(b.ops().size(), 2u);
  EXPECT_EQ(b.total_pages(), 2u);
  EXPECT_FALSE(b.is_all());
}

TEST(TlbFlushBatchTest, OverlappingAndAdjacentOpsMerge) {
  TlbFlushBatch b;
  b.Add(TlbFlushOp::Page(kBase));
  b.Add(TlbFlushOp::Page(kBase));
  b.Add(TlbFlushOp::Page(kBase + kPage));
  b.Add(TlbFlushOp::Range(kBase + 4 * kPage, kBase + 6 * kPage));
  b.Add(TlbFlushOp::Range(kBase + kPage, kBase + 5 * kPage));  // bridges both
  ASSERT_EQ(b.ops().size(), 1u);
  EXPECT_EQ(b.ops()[0], TlbFlushOp::Range(kBase, kBase + 6 * kPage));
}

TEST(TlbFlushBatchTest, TooManyPagesCollapseToAll) {
  TlbFlushBatch b;
  b.Add(TlbFlushOp::Range(kBase, kBase + 20 * kPage));
  b.Add(TlbFlushOp::Range(kBase + 100 * kPage, kBase + 112 * kPage));
  EXPECT_EQ(b.total_pages(), 32u);
  EXPECT_FALSE(b.is_all());
  b.Add(TlbFlushOp::Page(kBase + 200 * kPage));
  EXPECT_TRUE(b.is_all());
  ASSERT_EQ(b.ops().size(), 1u);
  b.Add(TlbFlushOp::Page(kBase));  // absorbed
  EXPECT_TRUE(b.is_all());
}

TEST(TlbFlushBatchTest, TooManyOpsCollapseToAll) {
  TlbFlushBatch b;
  for (size_t i = 0; i < TlbFlushBatch::kCapacity; ++i)
    b.Add(TlbFlushOp::Page(kBase + 2 * i * kPage));
  EXPECT_EQ(b.ops().size(), TlbFlushBatch::kCapacity);
  b.Add(TlbFlushOp::Page(kBase + 100 * kPage));
  EXPECT_TRUE(b.is_all());
}

TEST(TlbFlushBatchTest, AllAbsorbsEverythingAndClearResets) {
  TlbFlushBatch b;
  b.Add(TlbFlushOp::Page(kBase));
  b.Add(TlbFlushOp::All());
  EXPECT_TRUE(b.is_all());
  b.Clear();
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace klib
