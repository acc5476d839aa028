#include "kernel/module/bytes.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::module {

using ostd::Errno;

namespace {
bool Fits(uint64_t size, uint64_t off, uint64_t len) { return off <= size && len <= size - off; }
}  // namespace

ostd::Result<uint64_t> ReadLe(std::span<const uint8_t> b, uint64_t off, unsigned n) {
  if (n == 0 || n > 8 || !Fits(b.size(), off, n)) return ostd::Err(Errno::kENOEXEC);
  uint64_t v = 0;
  for (unsigned i = n; i > 0; --i) v = (v << 8) | b[off + i - 1];
  return v;
}

ostd::Status WriteLe(std::span<uint8_t> b, uint64_t off, unsigned n, uint64_t v) {
  if (n == 0 || n > 8 || !Fits(b.size(), off, n)) return ostd::Err(Errno::kENOEXEC);
  for (unsigned i = 0; i < n; ++i) {
    b[off + i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return {};
}

ostd::Result<std::span<const uint8_t>> CString(std::span<const uint8_t> b, uint64_t off) {
  if (off >= b.size()) return ostd::Err(Errno::kENOEXEC);
  for (uint64_t i = off; i < b.size(); ++i) {
    if (b[i] == 0) return b.subspan(off, i - off);
  }
  return ostd::Err(Errno::kENOEXEC);
}

ostd::Result<std::span<const uint8_t>> SubSpan(std::span<const uint8_t> b, uint64_t off,
                                               uint64_t len) {
  if (!Fits(b.size(), off, len)) return ostd::Err(Errno::kENOEXEC);
  return b.subspan(off, len);
}

bool BytesEqual(std::span<const uint8_t> s, std::string_view t) {
  if (s.size() != t.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != static_cast<uint8_t>(t[i])) return false;
  }
  return true;
}

bool BytesStartWith(std::span<const uint8_t> s, std::string_view t) {
  if (s.size() < t.size()) return false;
  return BytesEqual(s.first(t.size()), t);
}

bool BytesEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace kernel::module
