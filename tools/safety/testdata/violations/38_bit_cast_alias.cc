// expect: int_to_ptr
#include <bit>
#include <cstdint>

using Handle = int*;

Handle FromAddress(std::uint64_t address) { return std::bit_cast<Handle>(address); }
