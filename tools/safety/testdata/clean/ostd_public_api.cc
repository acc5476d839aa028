// Untrusted code using ostd's public API, std::array/std::span, arithmetic
// static_cast, constant in-bounds C array indices and string_view of literals.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace clean {

ostd::Result<int> Half(int v) {
  if (v % 2 != 0) return ostd::Err(ostd::Errno::kEINVAL);
  return v / 2;
}

constexpr std::string_view kName = "keel";
constexpr std::string_view kOther("literal");

int Checksum(std::span<const std::uint8_t> bytes) {
  int sum = 0;
  for (std::uint8_t b : bytes) sum += static_cast<int>(b);
  return sum;
}

int FirstAndLast() {
  const int table[3] = {1, 2, 3};
  std::array<std::uint8_t, 4> data = {1, 2, 3, 4};
  std::span<const std::uint8_t> view(data);
  return table[0] + table[2] + Checksum(view.subspan(1)) + static_cast<int>(kName.size()) +
         (kOther.starts_with("lit") ? 1 : 0);
}

}  // namespace clean
