#include "lib/sha384.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace klib {
namespace {

std::string Hex(const Sha384Digest& d) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// FIPS 180-4 examples (and the values of Python's hashlib for the others).
TEST(Sha384, KnownVectors) {
  EXPECT_EQ(
      Hex(Sha384::Of({})),
      "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f1"
      "4898b95b");
  EXPECT_EQ(
      Hex(Sha384::Of(Bytes("abc"))),
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
      "34c825a7");
  EXPECT_EQ(
      Hex(Sha384::Of(Bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1f"
      "e3c8452b");
}

TEST(Sha384, IncrementalMatchesOneShot) {
  std::vector<uint8_t> data;
  for (int i = 0; i < 3; ++i) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<uint8_t>(b));
  }
  const std::string want =
      "6bee04118003cf5630ccb22cdb53f78dc079231c7d09209955dfc34234cbab03d41da198e30bf1e77ef8b289ddd7"
      "94"
      "ec";
  EXPECT_EQ(Hex(Sha384::Of(data)), want);
  // Split at every block-boundary-relevant size, including 111/112/127/128.
  for (uint64_t split : {1u, 111u, 112u, 127u, 128u, 129u, 500u}) {
    Sha384 s;
    s.Update(std::span<const uint8_t>(data).first(split));
    s.Update(std::span<const uint8_t>(data).subspan(split));
    EXPECT_EQ(Hex(s.Finish()), want) << split;
  }
  // Finish resets.
  Sha384 s;
  s.Update(Bytes("junk"));
  (void)s.Finish();
  EXPECT_EQ(Hex(s.Finish()), Hex(Sha384::Of({})));
}

TEST(Sha384, MillionA) {
  Sha384 s;
  std::vector<uint8_t> chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) s.Update(chunk);
  EXPECT_EQ(
      Hex(s.Finish()),
      "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd8"
      "7f3d8985");
}

}  // namespace
}  // namespace klib
