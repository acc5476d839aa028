#include "ostd/util/vec.h"

#include <utility>

#include <gtest/gtest.h>

namespace ostd {
namespace {

// Counts live instances to catch leaks and double destruction.
struct Tracked {
  static inline int live = 0;
  int v;
  explicit Tracked(int x) : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(o.v) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { --live; }
};

TEST(VecTest, PushGrowsAndKeepsOrder) {
  Vec<int> v;
  EXPECT_TRUE(v.empty());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(v.Push(i).has_value());
  ASSERT_EQ(v.size(), 100u);
  EXPECT_GE(v.capacity(), 100u);
  int expect = 0;
  for (int x : v) EXPECT_EQ(x, expect++);
  EXPECT_EQ(v.back(), 99);
}

TEST(VecTest, InsertEraseTruncate) {
  Vec<int> v;
  for (int i : {1, 2, 4}) ASSERT_TRUE(v.Push(i).has_value());
  ASSERT_TRUE(v.Insert(2, 3).has_value());
  ASSERT_TRUE(v.Insert(0, 0).has_value());
  ASSERT_TRUE(v.Insert(5, 5).has_value());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], static_cast<int>(i));
  v.Erase(0);
  v.Erase(2);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[1], 2);
  EXPECT_EQ(v[2], 4);
  v.Truncate(1);
  EXPECT_EQ(v.size(), 1u);
}

TEST(VecTest, ElementsAreDestroyedExactlyOnce) {
  {
    Vec<Tracked> v;
    for (int i = 0; i < 33; ++i) ASSERT_TRUE(v.Push(Tracked(i)).has_value());
    EXPECT_EQ(Tracked::live, 33);
    v.Erase(5);
    EXPECT_EQ(Tracked::live, 32);
    Vec<Tracked> moved = std::move(v);
    EXPECT_EQ(Tracked::live, 32);
    Result<Vec<Tracked>> copy = moved.Clone();
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(Tracked::live, 64);
    EXPECT_EQ((*copy)[5].v, 6);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(VecTest, ResizeValueInitializesAndShrinks) {
  Vec<uint8_t> v;
  ASSERT_TRUE(v.Resize(5000).has_value());
  EXPECT_EQ(v.size(), 5000u);
  for (uint8_t b : v) EXPECT_EQ(b, 0);
  v[4999] = 7;
  ASSERT_TRUE(v.Resize(10).has_value());
  EXPECT_EQ(v.size(), 10u);
  EXPECT_EQ(v.Resize(SIZE_MAX).error(), Errno::kENOMEM);
  EXPECT_EQ(v.size(), 10u);
}

TEST(VecTest, HugeReserveFailsWithoutChange) {
  Vec<uint64_t> v;
  ASSERT_TRUE(v.Push(7).has_value());
  EXPECT_EQ(v.Reserve(SIZE_MAX / 4).error(), Errno::kENOMEM);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], 7u);
}

TEST(VecDeathTest, OutOfRangeAborts) {
  Vec<int> v;
  ASSERT_TRUE(v.Push(1).has_value());
  EXPECT_DEATH(v[1], "");
  EXPECT_DEATH(v.Erase(3), "");
}

// An element whose destructor (when armed) pushes to the Vec that holds it:
// the Vec is in the middle of destroying it, so the push must not run.
struct PushesWhenDestroyed {
  static inline Vec<PushesWhenDestroyed>* target = nullptr;
  bool armed = false;
  PushesWhenDestroyed() = default;
  explicit PushesWhenDestroyed(bool a) : armed(a) {}
  PushesWhenDestroyed(PushesWhenDestroyed&& o) noexcept : armed(std::exchange(o.armed, false)) {}
  PushesWhenDestroyed& operator=(PushesWhenDestroyed&& o) noexcept {
    armed = std::exchange(o.armed, false);
    return *this;
  }
  ~PushesWhenDestroyed() {
    if (armed && target != nullptr) (void)target->Push(PushesWhenDestroyed());
  }
};

TEST(VecDeathTest, ChangingTheVecFromAnElementOperationTraps) {
  EXPECT_DEATH(
      {
        Vec<PushesWhenDestroyed> v;
        PushesWhenDestroyed::target = &v;
        (void)v.Push(PushesWhenDestroyed(true));
        v.PopBack();  // the element's destructor pushes to v
      },
      "");
}

TEST(VecTest, ElementOperationsThatLeaveTheVecAloneWork) {
  Vec<PushesWhenDestroyed> v;
  PushesWhenDestroyed::target = nullptr;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(v.Push(PushesWhenDestroyed(true)).has_value());
  v.Erase(3);
  ASSERT_TRUE(v.Insert(0, PushesWhenDestroyed()).has_value());
  v.Clear();
  EXPECT_TRUE(v.empty());
}

}  // namespace
}  // namespace ostd
