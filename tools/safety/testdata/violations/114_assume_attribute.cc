// expect: assume
// [[assume(e)]] tells the optimizer the index is in range, so it drops the
// bounds check of std::array::operator[]: any index writes.
#include <array>
#include <cstddef>
#include <cstdint>

namespace fixture {
std::array<uint64_t, 4> g_table{};
void Write(size_t index, uint64_t value) {
  [[assume(index < 4)]];
  g_table[index] = value;
}
}  // namespace fixture
