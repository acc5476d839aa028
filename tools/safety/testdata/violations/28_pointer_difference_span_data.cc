// expect: pointer_difference
// Raw pointers taken from a std::span and subtracted (typedef'd pointer types
// are seen through).
#include <cstddef>
#include <span>

using ConstIntPtr = const int*;

std::ptrdiff_t Offset(std::span<const int> values) {
  std::span<const int> tail = values.subspan(1);
  ConstIntPtr begin = values.data();
  ConstIntPtr end = tail.data();
  std::ptrdiff_t d = end - begin;
  return d;
}
