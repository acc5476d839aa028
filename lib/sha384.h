// SHA-384 (FIPS 180-4, the SHA-512 compression with its own initial values,
// truncated to 48 bytes): the digest of TDX measurement registers (MRTD,
// RTMRs) and TDREPORT hashes. Pure logic, host-tested against FIPS vectors
// (sha384_test.cc). Incremental: Update any number of times, then Finish.
#ifndef LIB_SHA384_H_
#define LIB_SHA384_H_

#include <array>
#include <cstdint>
#include <span>

namespace klib {

inline constexpr uint64_t kSha384Size = 48;
using Sha384Digest = std::array<uint8_t, kSha384Size>;

class Sha384 {
 public:
  Sha384();
  // Appends `data` to the message.
  void Update(std::span<const uint8_t> data);
  // Pads, returns the digest and resets to an empty message.
  Sha384Digest Finish();

  // The digest of `data` in one call.
  static Sha384Digest Of(std::span<const uint8_t> data);

 private:
  void Block(std::span<const uint8_t, 128> block);

  std::array<uint64_t, 8> h_{};
  std::array<uint8_t, 128> buf_{};
  uint64_t buffered_ = 0;
  uint64_t total_ = 0;  // bytes (messages under 2^61 bytes)
};

}  // namespace klib

#endif  // LIB_SHA384_H_
