// Bounded copies between spans, for code that may not run std algorithms
// on raw pointers (kernel/, drivers/, examples/): both ends are spans, the
// count is the smaller size, and nothing is read or written out of bounds.
//
//   std::array<char, 16> comm{};
//   size_t n = ostd::CopyChars(name, comm);  // name: a std::string_view
#ifndef OSTD_UTIL_SPAN_COPY_H_
#define OSTD_UTIL_SPAN_COPY_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace ostd {

// Copies min(from.size(), to.size()) elements of `from` to the front of `to`;
// returns that count. `to` must not start inside `from` (std::ranges::copy's
// precondition; a copy towards the front of one buffer is fine).
template <typename T>
size_t CopyPrefix(std::span<const T> from, std::span<T> to) {
  size_t n = std::min(from.size(), to.size());
  if constexpr (std::is_trivially_copyable_v<T>) {
    // Through the runtime's memmove (word moves: ostd/runtime.cc) rather
    // than the element loop a freestanding build makes of std::copy, which
    // costs a byte load and store per byte (much under emulation).
    if (n != 0) {
      // SAFETY: both spans hold at least n elements of a trivially copyable
      // type, so copying n * sizeof(T) bytes between them stays in bounds
      // and makes valid objects; memmove allows any overlap.
      __builtin_memmove(to.data(), from.data(), n * sizeof(T));
    }
  } else {
    std::ranges::copy(from.first(n), to.begin());
  }
  return n;
}

// The same for characters (a std::string_view or std::array<char, N> converts
// to these spans) and for bytes.
inline size_t CopyChars(std::span<const char> from, std::span<char> to) {
  return CopyPrefix<char>(from, to);
}
// Copies min(from.size(), to.size()) bytes of `from` to the front of `to` and
// returns that count (CopyPrefix for bytes).
inline size_t CopyBytes(std::span<const uint8_t> from, std::span<uint8_t> to) {
  return CopyPrefix<uint8_t>(from, to);
}

// Sets every byte of `to` to `value` (through the runtime's memset: word
// stores, not a byte loop).
inline void FillBytes(std::span<uint8_t> to, uint8_t value) {
  // SAFETY: writes exactly the span's bytes.
  if (!to.empty()) __builtin_memset(to.data(), value, to.size());
}

}  // namespace ostd

#endif  // OSTD_UTIL_SPAN_COPY_H_
