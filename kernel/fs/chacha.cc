#include "kernel/fs/chacha.h"

#include <bit>

namespace kernel::fs {
namespace {

void QuarterRound(std::array<uint32_t, 16>& s, size_t a, size_t b, size_t c, size_t d) {
  s[a] += s[b];
  s[d] = std::rotl(s[d] ^ s[a], 16);
  s[c] += s[d];
  s[b] = std::rotl(s[b] ^ s[c], 12);
  s[a] += s[b];
  s[d] = std::rotl(s[d] ^ s[a], 8);
  s[c] += s[d];
  s[b] = std::rotl(s[b] ^ s[c], 7);
}

}  // namespace

std::array<uint8_t, 64> ChaCha20Block(const std::array<uint32_t, 8>& key, uint32_t counter,
                                      const std::array<uint32_t, 3>& nonce) {
  std::array<uint32_t, 16> init = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
                                   key[2],     key[3],     key[4],     key[5],     key[6], key[7],
                                   counter,    nonce[0],   nonce[1],   nonce[2]};
  std::array<uint32_t, 16> s = init;
  for (int i = 0; i < 10; ++i) {
    QuarterRound(s, 0, 4, 8, 12);
    QuarterRound(s, 1, 5, 9, 13);
    QuarterRound(s, 2, 6, 10, 14);
    QuarterRound(s, 3, 7, 11, 15);
    QuarterRound(s, 0, 5, 10, 15);
    QuarterRound(s, 1, 6, 11, 12);
    QuarterRound(s, 2, 7, 8, 13);
    QuarterRound(s, 3, 4, 9, 14);
  }
  std::array<uint8_t, 64> out{};
  for (size_t i = 0; i < 16; ++i) {
    uint32_t w = s[i] + init[i];
    for (size_t j = 0; j < 4; ++j) out[i * 4 + j] = static_cast<uint8_t>(w >> (8 * j));
  }
  return out;
}

void ChaChaRng::Mix(std::span<const uint8_t> seed) {
  for (size_t i = 0; i < seed.size(); ++i) {
    size_t w = (i / 4) % key_.size();
    key_[w] ^= uint32_t{seed[i]} << (8 * (i % 4));
    // Diffuse after every full key's worth of input.
    if (i % 32 == 31) {
      std::array<uint8_t, 64> b = ChaCha20Block(key_, 0, {0xffffffff, 0, 0});
      for (size_t k = 0; k < 8; ++k) {
        key_[k] = uint32_t{b[4 * k]} | uint32_t{b[4 * k + 1]} << 8 | uint32_t{b[4 * k + 2]} << 16 |
                  uint32_t{b[4 * k + 3]} << 24;
      }
    }
  }
  std::array<uint8_t, 64> b = ChaCha20Block(key_, 0, {0xfffffffe, 0, 0});
  for (size_t k = 0; k < 8; ++k) {
    key_[k] = uint32_t{b[4 * k]} | uint32_t{b[4 * k + 1]} << 8 | uint32_t{b[4 * k + 2]} << 16 |
              uint32_t{b[4 * k + 3]} << 24;
  }
}

void ChaChaRng::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    nonce_[0] = static_cast<uint32_t>(blocks_ >> 32);
    std::array<uint8_t, 64> b = ChaCha20Block(key_, static_cast<uint32_t>(blocks_), nonce_);
    ++blocks_;
    for (size_t i = 0; i < b.size() && done < out.size(); ++i) out[done++] = b[i];
  }
  // Fast key erasure: the next key is keystream nobody has seen.
  std::array<uint8_t, 64> b = ChaCha20Block(key_, static_cast<uint32_t>(blocks_), nonce_);
  ++blocks_;
  for (size_t k = 0; k < 8; ++k) {
    key_[k] = uint32_t{b[4 * k]} | uint32_t{b[4 * k + 1]} << 8 | uint32_t{b[4 * k + 2]} << 16 |
              uint32_t{b[4 * k + 3]} << 24;
  }
}

}  // namespace kernel::fs
