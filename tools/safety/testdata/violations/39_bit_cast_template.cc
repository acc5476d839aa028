// expect: int_to_ptr
// Only wrong once instantiated with a pointer type.
#include <bit>
#include <cstdint>

template <class T>
T Decode(std::uint64_t v) {
  return std::bit_cast<T>(v);
}

int* FromAddress(std::uint64_t address) { return Decode<int*>(address); }
