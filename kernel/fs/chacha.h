// ChaCha20 (RFC 8439) block function and a fast-key-erasure random generator
// built on it (pure logic). Seeding is the caller's business (fs/random.cc).
#ifndef KERNEL_FS_CHACHA_H_
#define KERNEL_FS_CHACHA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kernel::fs {

// One 64-byte ChaCha20 keystream block for (key, counter, nonce).
std::array<uint8_t, 64> ChaCha20Block(const std::array<uint32_t, 8>& key, uint32_t counter,
                                      const std::array<uint32_t, 3>& nonce);

class ChaChaRng {
 public:
  // Mixes `seed` into the key (may be called any number of times).
  void Mix(std::span<const uint8_t> seed);
  // Fills `out` with keystream, then replaces the key with fresh keystream so
  // earlier output cannot be recomputed from a later state.
  void Fill(std::span<uint8_t> out);

 private:
  std::array<uint32_t, 8> key_{};
  std::array<uint32_t, 3> nonce_{};
  uint64_t blocks_ = 0;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_CHACHA_H_
