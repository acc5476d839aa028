// Fixture-only trusted header (lint.py --trusted-include): stands in for
// <cstring>, which untrusted code may not include.
#pragma once
namespace std {
void* memcpy(void* dst, const void* src, decltype(sizeof(0)) n) noexcept;
}  // namespace std
