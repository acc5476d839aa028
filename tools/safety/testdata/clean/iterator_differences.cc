// Differences that are not builtin pointer subtraction in untrusted code:
// std::span iterators (a class type in libstdc++, so `-` is an operator call),
// integers, and library templates whose own code subtracts pointers
// (std::distance / std::ranges::distance instantiated in system headers).
#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <span>

namespace clean {

template <typename T>
T Minus(T a, T b) {
  return a - b;
}

std::ptrdiff_t SpanLength(std::span<const int> values) { return values.end() - values.begin(); }

std::ptrdiff_t FoundAt(std::span<const int> values, int needle) {
  auto it = std::find(values.begin(), values.end(), needle);
  return it - values.begin();
}

std::ptrdiff_t ArrayLength(const std::array<int, 4>& arr) {
  return std::distance(arr.begin(), arr.end()) + std::ranges::distance(arr) - std::ssize(arr);
}

int Run() {
  std::array<int, 4> arr = {1, 2, 3, 4};
  std::span<const int> view(arr);
  std::ptrdiff_t total = SpanLength(view) + FoundAt(view, 3) + ArrayLength(arr);
  total -= Minus<std::ptrdiff_t>(total, 1);
  return static_cast<int>(Minus(total, std::ptrdiff_t{2}));
}

}  // namespace clean
