// expect: span_from_pointer
#include <array>
#include <cstddef>
#include <span>

int Third(std::array<int, 4>& arr) {
  std::span<int> wide(&arr[0], 64);  // longer than the array
  return wide.subspan(32)[0];
}
