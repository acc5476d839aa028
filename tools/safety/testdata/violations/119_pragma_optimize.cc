// expect: pragma
// Pragmas that change code generation are refused too.
#include <cstdint>

namespace fixture {
#pragma clang optimize off
uint64_t Slow(uint64_t x) { return x * 3; }
#pragma clang optimize on
}  // namespace fixture
