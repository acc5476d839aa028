#include "kernel/fs/ring_buffer.h"

#include <array>

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

TEST(RingBufferTest, FillAndDrainWraps) {
  std::array<uint8_t, 8> storage{};
  RingBuffer r(storage);
  EXPECT_EQ(r.free(), 8u);
  for (uint8_t i = 0; i < 6; ++i) EXPECT_TRUE(r.Push(i));
  r.Consume(4);
  EXPECT_EQ(r.size(), 2u);
  // Tail is at 6: the contiguous free span is 2 bytes, then it wraps.
  EXPECT_EQ(r.WriteSpan().size(), 2u);
  for (uint8_t i = 6; i < 12; ++i) EXPECT_TRUE(r.Push(i));
  EXPECT_TRUE(r.full());
  EXPECT_FALSE(r.Push(99));
  EXPECT_EQ(r.ReadSpan().size(), 4u);  // 4..7 up to the end of storage
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(r.Peek(i), 4 + i);
  r.Consume(4);
  EXPECT_EQ(r.ReadSpan().size(), 4u);
  EXPECT_EQ(r.ReadSpan()[0], 8);
  r.Consume(100);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.WriteSpan().size(), 8u);
}

TEST(RingBufferTest, PeekSpanFollowsTheWrap) {
  std::array<uint8_t, 8> storage{};
  RingBuffer r(storage);
  for (uint8_t i = 0; i < 6; ++i) EXPECT_TRUE(r.Push(i));
  r.Consume(5);                                             // head at 5, one byte (5) left
  for (uint8_t i = 6; i < 10; ++i) EXPECT_TRUE(r.Push(i));  // 6, 7 then 8, 9 wrapped
  EXPECT_EQ(r.PeekSpan(0).size(), 3u);                      // 5, 6, 7 up to the end of storage
  EXPECT_EQ(r.PeekSpan(0)[0], 5);
  EXPECT_EQ(r.PeekSpan(3).size(), 2u);  // 8, 9 at the start of storage
  EXPECT_EQ(r.PeekSpan(3)[1], 9);
  EXPECT_EQ(r.PeekSpan(4).size(), 1u);
  EXPECT_TRUE(r.PeekSpan(5).empty());
  EXPECT_EQ(r.size(), 5u);  // peeking consumed nothing
}

TEST(RingBufferTest, CommitAndPopBack) {
  std::array<uint8_t, 4> storage{};
  RingBuffer r(storage);
  auto w = r.WriteSpan();
  w[0] = 'a';
  w[1] = 'b';
  r.Commit(2);
  EXPECT_TRUE(r.PopBack());
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.Peek(0), 'a');
  r.Commit(100);  // clamps
  EXPECT_TRUE(r.full());
}

}  // namespace
}  // namespace kernel::fs
