// expect: assume
// std::unreachable() on the out-of-range path: the optimizer may assume the
// index is in range and drop the bounds check.
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace fixture {
std::array<uint64_t, 4> g_table{};
void Write(size_t index, uint64_t value) {
  if (index >= 4) std::unreachable();
  g_table[index] = value;
}
}  // namespace fixture
