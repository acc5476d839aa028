// Host builds use libstdc++'s assertions (-D_GLIBCXX_ASSERTIONS in .bazelrc),
// as the kernel does: out-of-range indexing and `*` on an empty optional or
// expected stop the program instead of reading past the object.
#include <array>
#include <cstddef>
#include <optional>
#include <span>

#include "gtest/gtest.h"

#include "ostd/result.h"

namespace {

// An index the compiler cannot see through.
size_t Opaque(size_t v) {
  static volatile size_t sink;
  sink = v;
  return sink;
}

TEST(CheckedCxxDeathTest, ArrayIndexOutOfRange) {
  std::array<int, 4> a{};
  EXPECT_DEATH(a[Opaque(4)] = 1, "");
}

TEST(CheckedCxxDeathTest, SpanIndexOutOfRange) {
  std::array<int, 4> a{};
  std::span<int> s(a);
  EXPECT_DEATH(s[Opaque(7)] = 1, "");
}

TEST(CheckedCxxDeathTest, EmptyOptionalAndErrorResult) {
  std::optional<int> none;
  EXPECT_DEATH(Opaque(static_cast<size_t>(*none)), "");
  ostd::Result<int> err = ostd::Err(ostd::Errno::kEINVAL);
  EXPECT_DEATH(Opaque(static_cast<size_t>(*err)), "");
}

}  // namespace
