#include "lib/sha384.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

namespace klib {
namespace {

uint8_t Nibble(char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); }

// 96 lower-case hex digits as a digest.
Sha384Digest FromHex(std::string_view hex) {
  Sha384Digest d{};
  for (size_t i = 0; i < d.size(); ++i) {
    d[i] = static_cast<uint8_t>((Nibble(hex[2 * i]) << 4) | Nibble(hex[2 * i + 1]));
  }
  return d;
}

// The bytes of a short text.
struct Text {
  explicit Text(std::string_view s) {
    for (char c : s) bytes[n++] = static_cast<uint8_t>(c);
  }
  std::span<const uint8_t> span() const { return std::span<const uint8_t>(bytes).first(n); }
  std::array<uint8_t, 128> bytes{};
  size_t n = 0;
};

// FIPS 180-4 examples (and the values of Python's hashlib for the others).
TEST(Sha384, KnownVectors) {
  EXPECT_EQ(Sha384::Of({}),
            FromHex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f6"
                    "5fbd51ad2f14898b95b"));
  EXPECT_EQ(Sha384::Of(Text("abc").span()),
            FromHex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7c"
                    "c2358baeca134c825a7"));
  EXPECT_EQ(Sha384::Of(Text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").span()),
            FromHex("3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4"
                    "e6f5fe95b1fe3c8452b"));
}

TEST(Sha384, IncrementalMatchesOneShot) {
  std::array<uint8_t, 768> data{};
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 256);
  const Sha384Digest want = FromHex(
      "6bee04118003cf5630ccb22cdb53f78dc079231c7d09209955dfc34234cbab03d41da198e30bf1e77ef8"
      "b289ddd794ec");
  std::span<const uint8_t> all(data);
  EXPECT_EQ(Sha384::Of(all), want);
  // Split around the block and padding boundaries (111/112/127/128 bytes).
  for (size_t split : {1u, 111u, 112u, 127u, 128u, 129u, 500u}) {
    Sha384 s;
    s.Update(all.first(split));
    s.Update(all.subspan(split));
    EXPECT_EQ(s.Finish(), want) << split;
  }
  // Finish resets.
  Sha384 s;
  s.Update(Text("junk").span());
  static_cast<void>(s.Finish());
  EXPECT_EQ(s.Finish(), Sha384::Of({}));
}

TEST(Sha384, MillionA) {
  Sha384 s;
  std::array<uint8_t, 1000> chunk{};
  chunk.fill('a');
  for (int i = 0; i < 1000; ++i) s.Update(chunk);
  EXPECT_EQ(s.Finish(),
            FromHex("9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc"
                    "4ebae97ddd87f3d8985"));
}

}  // namespace
}  // namespace klib
