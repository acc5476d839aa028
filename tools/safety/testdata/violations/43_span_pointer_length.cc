// expect: span_from_pointer
#include <cstddef>
#include <span>

int Sum(int* p, std::size_t n) {
  std::span<int> view(p, n);
  int s = 0;
  for (int v : view) s += v;
  return s;
}
