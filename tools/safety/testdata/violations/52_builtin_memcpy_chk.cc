// expect: memfunc
#include <array>

void Copy(std::array<int, 4>& dst, const std::array<int, 4>& src) {
  __builtin___memcpy_chk(&dst, &src, sizeof(dst), sizeof(dst));
}
