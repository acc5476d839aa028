// expect: vla
// A variable-length array on the kernel stack can jump the guard page.
#include <cstddef>

int First(size_t n) {
  int buf[n];
  buf[0] = 1;
  return buf[0];
}
