// Freestanding text formatting: "{}"-style placeholders into a sink.
//
//   ostd::FormatTo(sink, "frame {:#x} has {} refs", paddr, count);
//
// Placeholders: `{}` (decimal for integers), `{:x}` hex, `{:#x}` hex with 0x,
// `{:b}` binary, and a zero-padded width such as `{:016x}` or `{:4}`. `{{` and
// `}}` print braces. Supported arguments: integers, bool, char, C strings,
// std::string_view, pointers (printed as hex addresses) and ostd::Errno (see
// FormatTo for how char arrays and null C strings print).
// Extra placeholders print "{?}"; extra arguments are ignored.
#ifndef OSTD_FMT_H_
#define OSTD_FMT_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "ostd/result.h"
#include "ostd/scoped_guard.h"

namespace ostd {

// Receives formatted text piece by piece.
class FormatSink {
 public:
  // Appends `text` (which may be empty and is valid only during the call).
  // FormatTo calls it once per literal run, padding character and argument; it
  // cannot fail, so a sink with limited room drops what does not fit.
  virtual void Write(std::string_view text) = 0;

 protected:
  ~FormatSink() = default;
};

// A sink into a fixed buffer owned by the caller; text past its end is dropped.
// No NUL terminator is written. Not thread-safe.
class OSTD_BORROWING_VIEW BufferSink final : public FormatSink {
 public:
  // Starts empty, writing from the start of `buffer`, which must outlive the
  // sink (and every view() taken from it). An empty buffer drops everything.
  explicit BufferSink(std::span<char> buffer) : buffer_(buffer) {}
  // Appends as much of `text` as fits; if some is dropped, truncated() becomes
  // true.
  void Write(std::string_view text) override;
  // The text written so far, in the caller's buffer: valid while the buffer
  // lives; a later Write or Clear may change what it shows.
  std::string_view view() const { return {buffer_.data(), size_}; }
  // True if a Write since construction or the last Clear dropped text.
  bool truncated() const { return truncated_; }
  // Empties the sink (view() becomes empty, truncated() false); the buffer's
  // bytes are left as they are.
  void Clear() {
    size_ = 0;
    truncated_ = false;
  }

 private:
  std::span<char> buffer_;
  size_t size_ = 0;
  bool truncated_ = false;
};

// A BufferSink with its own inline storage of N bytes (no heap), typically a
// local. Not copyable or movable: its sink points at its own storage, so a
// copy would show and overwrite the original's text (and dangle once the
// original is gone); copy the text out through view() instead.
template <size_t N>
class StackString final : public FormatSink {
 public:
  // An empty string (view() empty, truncated() false).
  StackString() = default;
  StackString(const StackString&) = delete;
  StackString& operator=(const StackString&) = delete;

  // Appends as much of `text` as fits in the N bytes; if some is dropped,
  // truncated() becomes true.
  void Write(std::string_view text) override { sink_.Write(text); }
  // The text so far (not NUL-terminated); valid while this object lives, and
  // changed by a later Write or Clear.
  std::string_view view() const { return sink_.view(); }
  // True if a Write since construction or the last Clear dropped text.
  bool truncated() const { return sink_.truncated(); }
  // Empties the string (view() becomes empty, truncated() false).
  void Clear() { sink_.Clear(); }

 private:
  char storage_[N] = {};
  BufferSink sink_{std::span<char>(storage_, N)};
};

namespace fmt_internal {

enum class ArgKind : uint8_t { kSigned, kUnsigned, kBool, kChar, kString, kPointer, kErrno };

struct Arg {
  ArgKind kind;
  int64_t s = 0;
  uint64_t u = 0;
  std::string_view str;
};

template <typename T>
constexpr Arg MakeArg(const T& v) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return Arg{ArgKind::kBool, 0, v ? 1u : 0u, {}};
  } else if constexpr (std::is_same_v<U, char>) {
    return Arg{ArgKind::kChar, 0, static_cast<unsigned char>(v), {}};
  } else if constexpr (std::is_enum_v<U> && std::is_same_v<U, Errno>) {
    return Arg{ArgKind::kErrno, static_cast<int64_t>(v), 0, ErrnoName(v)};
  } else if constexpr (std::is_enum_v<U>) {
    return MakeArg(static_cast<std::underlying_type_t<U>>(v));
  } else if constexpr (std::is_signed_v<U> && std::is_integral_v<U>) {
    return Arg{ArgKind::kSigned, static_cast<int64_t>(v), 0, {}};
  } else if constexpr (std::is_unsigned_v<U> && std::is_integral_v<U>) {
    return Arg{ArgKind::kUnsigned, 0, static_cast<uint64_t>(v), {}};
  } else if constexpr (std::is_array_v<U> && std::is_same_v<std::remove_extent_t<U>, char>) {
    // A char array (a string literal, a buffer): the text up to its first NUL,
    // or all of it if it has none; never past its end.
    size_t len = 0;
    while (len < std::extent_v<U> && v[len] != '\0') ++len;
    return Arg{ArgKind::kString, 0, 0, std::string_view(v, len)};
  } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
    return Arg{ArgKind::kString, 0, 0,
               v == nullptr ? std::string_view("(null)") : std::string_view(v)};
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    return Arg{ArgKind::kString, 0, 0, std::string_view(v)};
  } else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>) {
    return Arg{ArgKind::kPointer, 0, __builtin_bit_cast(uint64_t, static_cast<const void*>(v)), {}};
  } else {
    static_assert(sizeof(U) == 0, "ostd::FormatTo: unsupported argument type");
  }
}

void FormatImpl(FormatSink& sink, std::string_view fmt, std::span<const Arg> args);

}  // namespace fmt_internal

// Writes `fmt` to `sink` with each placeholder replaced by the next argument,
// as described at the top of this file. Never fails and never allocates: a
// placeholder without an argument prints {?}, an unclosed `{` and the rest of
// `fmt` are printed as they are, an unknown type letter falls back to the
// argument's default form. Errno prints its name (EINVAL), or its number with
// `{:d}`. A char array prints up to its first NUL (all of it if it has
// none); a null `const char*` prints "(null)", any other one must be
// NUL-terminated (pass a std::string_view or the array itself to bound it). An
// unsupported argument type does not compile. Any context, if the sink's Write
// may run there.
template <typename... Args>
void FormatTo(FormatSink& sink, std::string_view fmt, const Args&... args) {
  const fmt_internal::Arg packed[sizeof...(Args) + 1] = {fmt_internal::MakeArg(args)...,
                                                         fmt_internal::Arg{}};
  fmt_internal::FormatImpl(sink, fmt, std::span<const fmt_internal::Arg>(packed, sizeof...(Args)));
}

}  // namespace ostd

#endif  // OSTD_FMT_H_
