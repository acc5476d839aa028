// ktests: the freestanding runtime's memcpy, memmove and memset
// (ostd/runtime.cc) for every length from 0 to 200, every alignment of
// source and destination within a word, and every overlap of memmove in
// both directions, against byte-at-a-time references. Bytes around each
// destination must stay untouched.
#include <cstddef>
#include <cstdint>

#include "ktest/ktest.h"

extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
}

namespace ostd {
namespace {

constexpr size_t kMaxLen = 200;
constexpr size_t kBuf = kMaxLen + 64;

// The reference side reads and writes through volatile, so the compiler
// cannot turn it into calls to the functions under test.
void Fill(uint8_t (&b)[kBuf], uint8_t seed) {
  volatile uint8_t* v = b;
  for (size_t i = 0; i < kBuf; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
}

bool Same(const uint8_t (&a)[kBuf], const uint8_t (&b)[kBuf]) {
  const volatile uint8_t* x = a;
  const volatile uint8_t* y = b;
  for (size_t i = 0; i < kBuf; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// The lengths under test come from a volatile, so every call is a real call.
size_t Runtime(size_t n) {
  volatile size_t v = n;
  return v;
}

TEST(RuntimeTest, MemcpyEveryLengthAndAlignment) {
  uint8_t src[kBuf], dst[kBuf], want[kBuf];
  Fill(src, 1);
  for (size_t so = 0; so < 8; ++so) {
    for (size_t d_o = 0; d_o < 8; ++d_o) {
      for (size_t n = 0; n <= kMaxLen; ++n) {
        Fill(dst, 99);
        Fill(want, 99);
        volatile uint8_t* w = want;
        for (size_t i = 0; i < n; ++i) w[d_o + i] = src[so + i];
        void* r = memcpy(dst + d_o, src + so, Runtime(n));
        ASSERT_TRUE(r == dst + d_o);
        ASSERT_TRUE(Same(dst, want)) << "memcpy n=" << n << " src+" << so << " dst+" << d_o;
      }
    }
  }
}

TEST(RuntimeTest, MemsetEveryLengthAndAlignment) {
  uint8_t dst[kBuf], want[kBuf];
  for (size_t d_o = 0; d_o < 8; ++d_o) {
    for (size_t n = 0; n <= kMaxLen; ++n) {
      Fill(dst, 5);
      Fill(want, 5);
      volatile uint8_t* w = want;
      for (size_t i = 0; i < n; ++i) w[d_o + i] = 0xa5;
      void* r = memset(dst + d_o, 0x1a5, Runtime(n));  // only the low byte counts
      ASSERT_TRUE(r == dst + d_o);
      ASSERT_TRUE(Same(dst, want)) << "memset n=" << n << " dst+" << d_o;
    }
  }
}

TEST(RuntimeTest, MemmoveEveryOverlapBothWays) {
  uint8_t buf[kBuf], want[kBuf];
  // Source at 24, destination from 0 to 48: below, overlapping below,
  // equal, overlapping above, above.
  constexpr size_t kSrc = 24;
  for (size_t d_o = 0; d_o <= 48; ++d_o) {
    for (size_t n = 0; n + 48 <= kBuf && n <= 150; ++n) {
      Fill(buf, 3);
      Fill(want, 3);
      uint8_t tmp[kBuf];
      volatile uint8_t* t = tmp;
      volatile uint8_t* w = want;
      for (size_t i = 0; i < n; ++i) t[i] = want[kSrc + i];
      for (size_t i = 0; i < n; ++i) w[d_o + i] = t[i];
      void* r = memmove(buf + d_o, buf + kSrc, Runtime(n));
      ASSERT_TRUE(r == buf + d_o);
      ASSERT_TRUE(Same(buf, want)) << "memmove n=" << n << " dst=" << d_o << " src=" << kSrc;
    }
  }
}

}  // namespace
}  // namespace ostd
