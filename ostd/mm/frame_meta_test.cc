#include "ostd/mm/internal/frame_meta.h"

#include <cstddef>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ostd::mm {
namespace {

class FrameMetaTest : public ::testing::Test {
 protected:
  FrameMetaTest() : storage_(64), table_(std::span<FrameMetaTable::Word>(storage_)) {}
  std::vector<FrameMetaTable::Word> storage_;
  FrameMetaTable table_;
};

TEST_F(FrameMetaTest, ClaimIsExclusive) {
  EXPECT_TRUE(table_.TryClaim(3, FrameUsage::kUntyped));
  EXPECT_EQ(table_.usage(3), FrameUsage::kUntyped);
  EXPECT_EQ(table_.refcount(3), 1u);
  EXPECT_FALSE(table_.TryClaim(3, FrameUsage::kUntyped));
  EXPECT_FALSE(table_.TryClaim(3, FrameUsage::kHeap));
}

TEST_F(FrameMetaTest, ReservedAndOutOfRangeCannotBeClaimed) {
  table_.MarkReserved(5);
  EXPECT_FALSE(table_.TryClaim(5, FrameUsage::kUntyped));
  EXPECT_FALSE(table_.TryClaim(64, FrameUsage::kUntyped));
  EXPECT_FALSE(table_.TryClaim(6, FrameUsage::kFree));
  EXPECT_FALSE(table_.TryClaim(6, FrameUsage::kReserved));
  EXPECT_EQ(table_.usage(64), FrameUsage::kReserved);
}

// Put reports misuse through a reference: a null out-parameter does not compile.
template <typename Arg>
concept CanPut = requires(FrameMetaTable t, Arg a) { t.Put(0, a); };
static_assert(!CanPut<std::nullptr_t> && !CanPut<bool*>);
static_assert(CanPut<bool&>);

TEST_F(FrameMetaTest, LastPutFrees) {
  ASSERT_TRUE(table_.TryClaim(1, FrameUsage::kPageTable));
  EXPECT_TRUE(table_.Get(1));
  EXPECT_EQ(table_.refcount(1), 2u);
  bool misuse = false;
  EXPECT_FALSE(table_.Put(1, misuse));
  EXPECT_FALSE(misuse);
  EXPECT_TRUE(table_.Put(1, misuse));
  EXPECT_FALSE(misuse);
  EXPECT_EQ(table_.usage(1), FrameUsage::kFree);
  EXPECT_TRUE(table_.TryClaim(1, FrameUsage::kHeap));
}

TEST_F(FrameMetaTest, DoubleFreeAndGetOfFreeAreMisuse) {
  bool misuse = false;
  EXPECT_FALSE(table_.Put(2, misuse));
  EXPECT_TRUE(misuse);
  EXPECT_FALSE(table_.Get(2));
  table_.MarkReserved(4);
  EXPECT_FALSE(table_.Put(4, misuse));
  EXPECT_TRUE(misuse);
  EXPECT_FALSE(table_.Put(100, misuse));
  EXPECT_TRUE(misuse);
}

TEST_F(FrameMetaTest, TypedUsages) {
  EXPECT_TRUE(IsTyped(FrameUsage::kPageTable));
  EXPECT_TRUE(IsTyped(FrameUsage::kHeap));
  EXPECT_FALSE(IsTyped(FrameUsage::kUntyped));
  EXPECT_EQ(FrameUsageName(FrameUsage::kKernelStack), "kernel-stack");
}

TEST_F(FrameMetaTest, ConcurrentClaimsHaveOneWinner) {
  for (size_t frame = 0; frame < 64; ++frame) {
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        if (table_.TryClaim(frame, FrameUsage::kUntyped)) winners.fetch_add(1);
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "frame " << frame;
  }
}

TEST_F(FrameMetaTest, ConcurrentGetPutBalances) {
  ASSERT_TRUE(table_.TryClaim(7, FrameUsage::kUntyped));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        ASSERT_TRUE(table_.Get(7));
        bool misuse;
        ASSERT_FALSE(table_.Put(7, misuse));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(table_.refcount(7), 1u);
}

}  // namespace
}  // namespace ostd::mm
