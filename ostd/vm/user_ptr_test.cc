#include "ostd/vm/user_ptr.h"

#include <cstdint>
#include <type_traits>

#include "gtest/gtest.h"

namespace ostd::vm {
namespace {

struct Pair {
  uint64_t a, b;
};

TEST(UserRangeTest, BelowTheTopIsOk) {
  EXPECT_TRUE(CheckUserRange(0, 0).has_value());
  EXPECT_TRUE(CheckUserRange(0x1000, 0x1000).has_value());
  EXPECT_TRUE(CheckUserRange(kUserSpaceEnd - 8, 8).has_value());
  EXPECT_TRUE(CheckUserRange(kUserSpaceEnd, 0).has_value());
}

TEST(UserRangeTest, CrossingTheTopOrOverflowingIsEfault) {
  EXPECT_EQ(CheckUserRange(kUserSpaceEnd - 8, 9).error(), Errno::kEFAULT);
  EXPECT_EQ(CheckUserRange(kUserSpaceEnd, 1).error(), Errno::kEFAULT);
  EXPECT_EQ(CheckUserRange(0xffff800000000000, 8).error(), Errno::kEFAULT);
  EXPECT_EQ(CheckUserRange(0x1000, ~uint64_t{0}).error(), Errno::kEFAULT);
  EXPECT_EQ(CheckUserRange(~uint64_t{0}, 2).error(), Errno::kEFAULT);
}

TEST(UserPtrTest, ElementSizes) {
  EXPECT_EQ(UserPtr<uint32_t>::kElemSize, 4u);
  EXPECT_EQ(UserPtr<Pair>::kElemSize, 16u);
  EXPECT_EQ(UserPtr<void>::kElemSize, 1u);
  EXPECT_TRUE(UserPtr<int>().is_null());
  EXPECT_FALSE(UserPtr<int>(0x1000).is_null());
}

TEST(UserPtrTest, AtScalesByElementSize) {
  UserPtr<Pair> p(0x10000);
  Result<UserPtr<Pair>> q = p.At(3);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->addr(), 0x10000u + 48);
  EXPECT_EQ(p.At(0)->addr(), 0x10000u);
}

TEST(UserPtrTest, AtOverflowIsEoverflow) {
  UserPtr<Pair> p(0x10000);
  EXPECT_EQ(p.At(uint64_t{1} << 61).error(), Errno::kEOVERFLOW);  // product overflows
  UserPtr<uint8_t> high(~uint64_t{0} - 4);
  EXPECT_EQ(high.At(8).error(), Errno::kEOVERFLOW);  // sum overflows
}

TEST(UserPtrTest, AtPastTheUserTopIsEfault) {
  UserPtr<uint64_t> p(kUserSpaceEnd - 16);
  EXPECT_TRUE(p.At(1).has_value());
  EXPECT_EQ(p.At(2).error(), Errno::kEFAULT);  // element would start at the top
  UserPtr<uint64_t> odd(kUserSpaceEnd - 12);
  EXPECT_EQ(odd.At(1).error(), Errno::kEFAULT);  // element straddles the top
}

TEST(UserPtrTest, OffsetAndCheckRange) {
  UserPtr<uint32_t> p(0x2000);
  EXPECT_EQ(p.Offset(2)->addr(), 0x2002u);
  EXPECT_EQ(p.Offset(kUserSpaceEnd).error(), Errno::kEFAULT);
  EXPECT_EQ(p.Offset(~uint64_t{0}).error(), Errno::kEOVERFLOW);
  EXPECT_TRUE(p.CheckRange(1024).has_value());
  EXPECT_EQ(p.CheckRange(uint64_t{1} << 62).error(), Errno::kEOVERFLOW);
  EXPECT_EQ(p.CheckRange(kUserSpaceEnd / 4).error(), Errno::kEFAULT);
  EXPECT_EQ(UserPtr<Pair>::ByteSize(4).value(), 64u);
  EXPECT_EQ(UserPtr<Pair>::ByteSize(uint64_t{1} << 60).error(), Errno::kEOVERFLOW);
}

TEST(UserPtrTest, CastKeepsTheAddress) {
  UserPtr<uint32_t> p(0x3004);
  UserPtr<char> c = p.Cast<char>();
  EXPECT_EQ(c.addr(), 0x3004u);
  EXPECT_EQ(c.At(1)->addr(), 0x3005u);
  EXPECT_TRUE(p == UserPtr<uint32_t>(0x3004));
}

constexpr bool ConstexprMath() {
  return UserPtr<uint16_t>(0x100).At(4)->addr() == 0x108 && !UserPtr<uint8_t>(1).At(~0ull);
}
static_assert(ConstexprMath());

}  // namespace
}  // namespace ostd::vm

namespace ostd::vm {
namespace {

struct Padded {  // 4 bytes of padding after `a`: never copied out
  uint32_t a;
  uint64_t b;
};
struct Packed {
  uint32_t a;
  uint32_t b;
  OSTD_POD(Packed, a, b);
};

// Directions: reads need kIn/kInOut, writes kOut/kInOut.
static_assert(UserReadable<UserInPtr<int>>);
static_assert(UserReadable<UserInOutPtr<int>>);
static_assert(!UserReadable<UserOutPtr<int>>);
static_assert(UserWritable<UserOutPtr<int>>);
static_assert(UserWritable<UserInOutPtr<int>>);
static_assert(!UserWritable<UserInPtr<int>>);
// An undirected UserPtr is neither (the directional copies refuse it).
static_assert(!UserReadable<UserPtr<int>>);
static_assert(!UserWritable<UserPtr<int>>);
// Copies of one value also need a Pod element: no padding, pointer or bool.
static_assert(UserCopyOut<UserOutPtr<Packed>>);
static_assert(!UserCopyOut<UserOutPtr<Padded>>);
static_assert(!UserCopyOut<UserOutPtr<int*>>);
static_assert(!UserCopyOut<UserOutPtr<bool>>);
static_assert(!UserCopyOut<UserInPtr<Packed>>);
static_assert(UserCopyIn<UserInPtr<Packed>>);
static_assert(!UserCopyIn<UserInPtr<Padded>>);
static_assert(!UserCopyIn<UserOutPtr<Packed>>);
// In/out narrows to either direction; nothing else converts.
static_assert(std::is_convertible_v<UserInOutPtr<int>, UserInPtr<int>>);
static_assert(std::is_convertible_v<UserInOutPtr<int>, UserOutPtr<int>>);
static_assert(!std::is_convertible_v<UserInPtr<int>, UserOutPtr<int>>);
static_assert(!std::is_convertible_v<UserOutPtr<int>, UserInPtr<int>>);
static_assert(!std::is_convertible_v<UserInPtr<int>, UserInOutPtr<int>>);
static_assert(!std::is_convertible_v<uint64_t, UserInPtr<int>>);
static_assert(!std::is_convertible_v<UserPtr<int>, UserOutPtr<int>>);

TEST(UserDirPtrTest, KeepsAddressAndDirection) {
  UserInOutPtr<Pair> p(0x10000);
  UserInPtr<Pair> in = p;
  UserOutPtr<Pair> out = p;
  EXPECT_EQ(in.addr(), 0x10000u);
  EXPECT_EQ(out.ptr(), UserPtr<Pair>(0x10000));
  EXPECT_FALSE(p.is_null());
  EXPECT_TRUE(UserOutPtr<Pair>().is_null());
  EXPECT_EQ(UserOutPtr<Pair>::kElemSize, 16u);
  Result<UserInPtr<Pair>> q = in.At(2);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->addr(), 0x10000u + 32);
  EXPECT_EQ(out.Offset(8)->addr(), 0x10008u);
  UserOutPtr<uint32_t> word = out.Cast<uint32_t>();
  EXPECT_EQ(word.addr(), 0x10000u);
  static_assert(std::is_same_v<decltype(word), UserOutPtr<uint32_t>>);
}

TEST(UserDirPtrTest, ArithmeticIsChecked) {
  UserInPtr<Pair> top(kUserSpaceEnd - 16);
  EXPECT_TRUE(top.CheckRange(1).has_value());
  EXPECT_EQ(top.CheckRange(2).error(), Errno::kEFAULT);
  EXPECT_EQ(top.At(1).error(), Errno::kEFAULT);
  EXPECT_EQ(UserOutPtr<Pair>(~uint64_t{0}).Offset(2).error(), Errno::kEOVERFLOW);
  EXPECT_EQ(UserInPtr<Pair>(0).CheckRange(~uint64_t{0}).error(), Errno::kEOVERFLOW);
}

}  // namespace
}  // namespace ostd::vm
