// expect: span_from_range
// The same lie through std::string_view's C++23 range constructor: reads
// past the object.
#include <cstddef>
#include <string_view>

namespace fixture {
struct LyingChars {
  const char* data() const { return "x"; }
  const char* begin() const { return "x"; }
  const char* end() const { return "x"; }
  size_t size() const { return size_t{1} << 40; }
};
LyingChars g_chars;
char Read(size_t index) {
  std::string_view v(g_chars);
  return v[index];
}
}  // namespace fixture
