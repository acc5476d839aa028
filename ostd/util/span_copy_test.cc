#include "ostd/util/span_copy.h"

#include <array>
#include <string_view>

#include "gtest/gtest.h"

namespace ostd {
namespace {

TEST(SpanCopyTest, CopiesTheShorter) {
  std::array<char, 4> small{};
  EXPECT_EQ(CopyChars(std::string_view("abcdef"), small), 4u);
  EXPECT_EQ(std::string_view(small), "abcd");
  std::array<char, 8> big{};
  EXPECT_EQ(CopyChars(std::string_view("xy"), big), 2u);
  EXPECT_EQ(big[0], 'x');
  EXPECT_EQ(big[1], 'y');
  EXPECT_EQ(big[2], '\0');
}

TEST(SpanCopyTest, Bytes) {
  std::array<uint8_t, 3> from{1, 2, 3};
  std::array<uint8_t, 2> to{};
  EXPECT_EQ(CopyBytes(from, to), 2u);
  EXPECT_EQ(to[1], 2);
  EXPECT_EQ(CopyBytes({}, to), 0u);
}

}  // namespace
}  // namespace ostd
