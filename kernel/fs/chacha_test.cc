#include "kernel/fs/chacha.h"

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

// RFC 8439 section 2.3.2 test vector.
TEST(ChaChaTest, Rfc8439Block) {
  std::array<uint32_t, 8> key;
  for (uint32_t i = 0; i < 8; ++i) {
    uint32_t b = 4 * i;
    key[i] = b | (b + 1) << 8 | (b + 2) << 16 | (b + 3) << 24;
  }
  std::array<uint32_t, 3> nonce = {0x09000000, 0x4a000000, 0x00000000};
  std::array<uint8_t, 64> out = ChaCha20Block(key, 1, nonce);
  std::array<uint8_t, 16> expect = {0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
                                    0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4};
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ(out[i], expect[i]) << i;
  EXPECT_EQ(out[63], 0x4e);
}

TEST(ChaChaTest, RngOutputsDifferAndDependOnSeed) {
  ChaChaRng a, b;
  std::array<uint8_t, 3> seed_a = {1, 2, 3}, seed_b = {1, 2, 4};
  a.Mix(seed_a);
  b.Mix(seed_b);
  std::array<uint8_t, 100> x{}, y{}, z{};
  a.Fill(x);
  a.Fill(y);
  b.Fill(z);
  EXPECT_NE(x, y);
  EXPECT_NE(x, z);
  int zeros = 0;
  for (uint8_t v : x) zeros += v == 0;
  EXPECT_LT(zeros, 10);
}

}  // namespace
}  // namespace kernel::fs
