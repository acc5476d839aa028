// expect: memfunc
#include <array>

#define FIXTURE_CAT(a, b) a##b

void Copy(std::array<int, 4>& dst, const std::array<int, 4>& src) {
  FIXTURE_CAT(__builtin_mem, cpy)(&dst, &src, sizeof(dst));
}
