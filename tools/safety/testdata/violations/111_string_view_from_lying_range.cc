// expect: span_from_range
// The same lie through std::string_view's C++23 range constructor: reads
// past the object.
#include <cstddef>
#include <string_view>

namespace fixture {
struct LyingChars {
  char storage[1] = {0};
  const char* data() const { return storage; }
  const char* begin() const { return storage; }
  const char* end() const { return storage; }
  size_t size() const { return size_t{1} << 40; }
};
LyingChars g_chars;
char Read(size_t index) {
  std::string_view v(g_chars);
  return v[index];
}
}  // namespace fixture
