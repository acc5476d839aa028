// Differences that are not builtin pointer subtraction in untrusted code:
// integers, and library templates whose own code works on iterators
// (std::ranges::distance / std::ssize instantiated in system headers), with
// whole containers as arguments.
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

std::ptrdiff_t SpanLength(std::span<const int> values) { return std::ranges::distance(values); }

std::ptrdiff_t Count(std::span<const int> values, int needle) {
  return std::ranges::count(values, needle);
}

std::ptrdiff_t ArrayLength(const std::array<int, 4>& arr) {
  return std::ranges::distance(arr) - std::ssize(arr);
}

int Run() {
  std::array<int, 4> arr = {1, 2, 3, 4};
  std::span<const int> view(arr);
  std::ptrdiff_t total = SpanLength(view) + Count(view, 3) + ArrayLength(arr);
  total -= Minus<std::ptrdiff_t>(total, 1);
  return static_cast<int>(Minus(total, std::ptrdiff_t{2}));
}

}  // namespace clean
