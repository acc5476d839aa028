// expect: pointer_difference
// Pointers to elements of a std::span, subtracted (typedef'd pointer types
// are seen through).
#include <cstddef>
#include <span>

using ConstIntPtr = const int*;

std::ptrdiff_t Offset(std::span<const int> values) {
  std::span<const int> tail = values.subspan(1);
  ConstIntPtr begin = &values[0];
  ConstIntPtr end = &tail[0];
  std::ptrdiff_t d = end - begin;
  return d;
}
