#include "ostd/fmt.h"

#include <type_traits>

#include <gtest/gtest.h>

namespace ostd {
namespace {

template <typename... Args>
std::string_view Fmt(StackString<256>& s, std::string_view f, const Args&... args) {
  s.Clear();
  FormatTo(s, f, args...);
  return s.view();
}

TEST(FmtTest, Integers) {
  StackString<256> s;
  EXPECT_EQ(Fmt(s, "{} {} {}", 0, -42, 18446744073709551615ull), "0 -42 18446744073709551615");
  EXPECT_EQ(Fmt(s, "{}", INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(Fmt(s, "{:x} {:#x}", 255u, 4096), "ff 0x1000");
  EXPECT_EQ(Fmt(s, "{:016x}", 0xdeadu), "000000000000dead");
  EXPECT_EQ(Fmt(s, "{:#018x}", 0xdeadu), "0x000000000000dead");
  EXPECT_EQ(Fmt(s, "[{:4}]", 7), "[   7]");
  EXPECT_EQ(Fmt(s, "{:b}", 5u), "101");
}

TEST(FmtTest, OtherKinds) {
  StackString<256> s;
  EXPECT_EQ(Fmt(s, "{} {} {}", true, 'c', "str"), "true c str");
  EXPECT_EQ(Fmt(s, "{}", std::string_view("view")), "view");
  EXPECT_EQ(Fmt(s, "{} {:d}", Errno::kEFAULT, Errno::kEFAULT), "EFAULT 14");
  EXPECT_EQ(Fmt(s, "{}", static_cast<const void*>(nullptr)), "0x0");
}

// A char array prints up to its first NUL, or all of it without one: never
// past its end. A null C string prints "(null)" instead of being read.
TEST(FmtTest, CStringsAreBounded) {
  StackString<256> s;
  char unterminated[3] = {'a', 'b', 'c'};
  char early_nul[6] = {'x', '\0', 'y', 'z', '\0', '\0'};
  const char empty[1] = {'\0'};
  EXPECT_EQ(Fmt(s, "[{}][{}][{}]", unterminated, early_nul, empty), "[abc][x][]");
  const char* null_string = nullptr;
  char* null_mutable = nullptr;
  EXPECT_EQ(Fmt(s, "{} {}", null_string, null_mutable), "(null) (null)");
  const char* literal = "lit";
  EXPECT_EQ(Fmt(s, "{:5}|", literal), "  lit|");
}

// A copy of a StackString would keep writing into the original's storage.
TEST(FmtTest, StackStringIsNotCopyableOrMovable) {
  static_assert(!std::is_copy_constructible_v<StackString<8>>);
  static_assert(!std::is_copy_assignable_v<StackString<8>>);
  static_assert(!std::is_move_constructible_v<StackString<8>>);
  static_assert(!std::is_move_assignable_v<StackString<8>>);
  StackString<8> s;
  FormatTo(s, "{}", 1234567890);
  EXPECT_EQ(s.view(), "12345678");
  EXPECT_TRUE(s.truncated());
}

TEST(FmtTest, BracesAndMismatch) {
  StackString<256> s;
  EXPECT_EQ(Fmt(s, "{{}} {}", 1), "{} 1");
  EXPECT_EQ(Fmt(s, "{} {}", 1), "1 {?}");
  EXPECT_EQ(Fmt(s, "no args", 1, 2), "no args");
  EXPECT_EQ(Fmt(s, "unterminated {", 1), "unterminated {");
}

TEST(FmtTest, TruncatesAtCapacity) {
  StackString<4> s;
  FormatTo(s, "{}", 123456);
  EXPECT_EQ(s.view(), "1234");
  EXPECT_TRUE(s.truncated());
}

TEST(ErrnoTest, Names) {
  EXPECT_EQ(ErrnoName(Errno::kENOMEM), "ENOMEM");
  EXPECT_EQ(ErrnoName(static_cast<Errno>(9999)), "E?");
  EXPECT_EQ(static_cast<int>(Errno::kENAMETOOLONG), 36);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Err(Errno::kEINVAL);
  return v / 2;
}

Result<int> Quarter(int v) {
  OSTD_TRY_ASSIGN(int h, Half(v));
  OSTD_TRY_ASSIGN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  OSTD_TRY(Half(v));
  return {};
}

TEST(ResultTest, TryMacros) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).error(), Errno::kEINVAL);
  EXPECT_TRUE(CheckEven(2).has_value());
  EXPECT_EQ(CheckEven(3).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace ostd
