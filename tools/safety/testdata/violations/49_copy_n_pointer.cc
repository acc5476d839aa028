// expect: std_raw_pointer
#include <algorithm>
#include <array>

void Copy(std::array<int, 4>& dst, const std::array<int, 4>& src) {
  std::copy_n(&src[0], 64, &dst[0]);
}
