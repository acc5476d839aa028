// expect: span_from_range
// std::span's range constructor trusts the range's size(): a class of the
// caller's that reports 2^60 elements over one gives a span that indexes
// (with _GLIBCXX_ASSERTIONS' checks against the lie) anywhere above it.
#include <cstddef>
#include <cstdint>
#include <span>

namespace fixture {
struct LyingRange {
  uint64_t storage[1] = {0};
  uint64_t* data() { return storage; }
  uint64_t* begin() { return storage; }
  uint64_t* end() { return storage; }
  size_t size() const { return size_t{1} << 60; }
};
LyingRange g_range;
void Write(size_t index, uint64_t value) {
  std::span<uint64_t> s(g_range);
  s[index] = value;
}
}  // namespace fixture
