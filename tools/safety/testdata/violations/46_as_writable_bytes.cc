// expect: span_from_pointer
#include <array>
#include <cstddef>
#include <span>

void Clobber(std::array<int, 4>& arr) {
  std::span<std::byte> bytes = std::as_writable_bytes(std::span<int>(arr));
  bytes[0] = std::byte{1};
}
