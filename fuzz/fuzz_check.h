// Shared by the fuzz harnesses (host-only test code, see docs/fuzzing.md).
#ifndef FUZZ_FUZZ_CHECK_H_
#define FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

// Aborts (a crash libFuzzer reports) if a parser broke its own contract on
// an input it accepted.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace fuzz {

inline std::span<const uint8_t> Bytes(const uint8_t* data, size_t size) {
  return std::span<const uint8_t>(data, size);
}

inline std::string_view Text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// True if `inner` lies inside `outer` (both views of the same input).
template <typename T, typename U>
bool Within(std::span<T> inner, std::span<U> outer) {
  if (inner.empty()) return true;
  auto* b = reinterpret_cast<const uint8_t*>(outer.data());
  auto* p = reinterpret_cast<const uint8_t*>(inner.data());
  return p >= b && p + inner.size_bytes() <= b + outer.size_bytes();
}

inline bool Within(std::string_view inner, std::string_view outer) {
  return Within(std::span<const char>(inner), std::span<const char>(outer));
}

}  // namespace fuzz

#endif  // FUZZ_FUZZ_CHECK_H_
