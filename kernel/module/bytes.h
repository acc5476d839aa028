// Bounds-checked reads of a module image: little-endian fields, NUL-terminated
// strings and name comparisons over a std::span of bytes. Every read that
// would leave the span is an error (ENOEXEC), never an out-of-range access.
#ifndef KERNEL_MODULE_BYTES_H_
#define KERNEL_MODULE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::module {

// The `n`-byte (1..8) little-endian value at [off, off + n) of `b`; ENOEXEC if
// that range is not inside `b` (or wraps).
ostd::Result<uint64_t> ReadLe(std::span<const uint8_t> b, uint64_t off, unsigned n);

// Writes the low `n` bytes (1..8) of `v` little-endian at [off, off + n) of
// `b`; ENOEXEC if the range is not inside `b`.
ostd::Status WriteLe(std::span<uint8_t> b, uint64_t off, unsigned n, uint64_t v);

// The bytes of `b` from `off` up to (not including) the first NUL; ENOEXEC if
// off is outside `b` or no NUL follows it inside `b`.
ostd::Result<std::span<const uint8_t>> CString(std::span<const uint8_t> b, uint64_t off);

// [off, off + len) of `b`; ENOEXEC if it is not inside `b`.
ostd::Result<std::span<const uint8_t>> SubSpan(std::span<const uint8_t> b, uint64_t off,
                                               uint64_t len);

// True if `s` holds exactly the characters of `t`.
bool BytesEqual(std::span<const uint8_t> s, std::string_view t);
// True if `s` starts with the characters of `t`.
bool BytesStartWith(std::span<const uint8_t> s, std::string_view t);
// True if the two byte strings are equal.
bool BytesEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_BYTES_H_
