// Templates, lambdas, std algorithms over spans and std::as_bytes: all safe.
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace clean {

template <class T>
T Decode(std::uint64_t v) {
  return std::bit_cast<T>(v);  // fine for non-pointer T
}

template <class T, std::size_t N>
T Largest(const std::array<T, N>& values) {
  T best = values[0];
  for (const T& v : values) best = std::max(best, v);
  return best;
}

struct Point {
  int x;
  int y;
};

std::size_t ByteCount(std::span<const Point> points) { return std::as_bytes(points).size(); }

int Run() {
  std::array<int, 5> values = {5, 3, 9, 1, 7};
  std::ranges::sort(values);  // std::array iterators are raw pointers: use ranges
  std::span<int> view(values);
  std::ranges::fill(view.first(2), 0);
  auto odd = [](int v) { return v % 2 != 0; };
  std::atomic<int> counter{0};
  counter.fetch_add(static_cast<int>(std::ranges::count_if(view, odd)));
  std::optional<double> d = Decode<double>(0);
  std::array<Point, 2> points = {{{1, 2}, {3, 4}}};
  return Largest(values) + counter.load() + static_cast<int>(d.value_or(0.0)) +
         static_cast<int>(ByteCount(points));
}

}  // namespace clean
