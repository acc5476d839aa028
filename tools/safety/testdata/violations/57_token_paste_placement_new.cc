// expect: placement_new
#include <array>
#include <cstddef>
#include <new>

#define FIXTURE_CAT(a, b) a##b

int Forge(std::array<std::byte, 16>& storage) {
  int* p = FIXTURE_CAT(ne, w)(&storage[0]) int(5);
  return *p;
}
