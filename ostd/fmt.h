// Freestanding text formatting: "{}"-style placeholders into a sink.
//
//   ostd::FormatTo(sink, "frame {:#x} has {} refs", paddr, count);
//
// Placeholders: `{}` (decimal for integers), `{:x}` hex, `{:#x}` hex with 0x,
// `{:b}` binary, and a zero-padded width such as `{:016x}` or `{:4}`. `{{` and
// `}}` print braces. Supported arguments: integers, bool, char, C strings,
// std::string_view, pointers (printed as hex addresses) and ostd::Errno.
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

namespace ostd {

// Receives formatted text piece by piece.
class FormatSink {
 public:
  virtual void Write(std::string_view text) = 0;

 protected:
  ~FormatSink() = default;
};

// A sink into a fixed buffer owned by the caller; text past its end is dropped.
class BufferSink final : public FormatSink {
 public:
  explicit BufferSink(std::span<char> buffer) : buffer_(buffer) {}
  void Write(std::string_view text) override;
  std::string_view view() const { return {buffer_.data(), size_}; }
  bool truncated() const { return truncated_; }
  void Clear() {
    size_ = 0;
    truncated_ = false;
  }

 private:
  std::span<char> buffer_;
  size_t size_ = 0;
  bool truncated_ = false;
};

// A BufferSink with its own inline storage.
template <size_t N>
class StackString final : public FormatSink {
 public:
  void Write(std::string_view text) override { sink_.Write(text); }
  std::string_view view() const { return sink_.view(); }
  bool truncated() const { return sink_.truncated(); }
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

template <typename... Args>
void FormatTo(FormatSink& sink, std::string_view fmt, const Args&... args) {
  const fmt_internal::Arg packed[sizeof...(Args) + 1] = {fmt_internal::MakeArg(args)...,
                                                         fmt_internal::Arg{}};
  fmt_internal::FormatImpl(sink, fmt, std::span<const fmt_internal::Arg>(packed, sizeof...(Args)));
}

}  // namespace ostd

#endif  // OSTD_FMT_H_
