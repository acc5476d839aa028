// expect: reinterpret_cast
#include <cstdint>

std::uintptr_t AddressOf(const int& value) { return reinterpret_cast<std::uintptr_t>(&value); }
