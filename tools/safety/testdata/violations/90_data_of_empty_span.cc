// expect: iterator
// data() of an empty tail still points just past the buffer.
#include <array>
#include <cstdint>
#include <span>

void OnePast(std::array<uint8_t, 8>& buf) {
  std::span<uint8_t> tail = std::span<uint8_t>(buf).subspan(8);
  *tail.data() = 0xcc;
}
