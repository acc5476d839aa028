// expect: int_to_ptr
#include <bit>
#include <cstdint>

int* FromAddress(std::uintptr_t address) { return std::bit_cast<int*>(address); }
