// as: lib
// lib/ code: other lib/ headers and allowlisted standard headers, std::array
// with checked indices and spans instead of pointers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/result.h"

namespace klib_fixture {

klib::Result<uint64_t> Sum(std::span<const uint64_t> values) {
  uint64_t total = 0;
  for (uint64_t v : values) {
    if (__builtin_add_overflow(total, v, &total)) return klib::Err(klib::Errno::kEOVERFLOW);
  }
  return total;
}

uint64_t Third(const std::array<uint64_t, 4>& a, size_t i) { return a[i % a.size()]; }

}  // namespace klib_fixture
