// expect: pragma
// The same through the _Pragma operator inside a macro.
#include <cstdint>

#define QUIET _Pragma("clang diagnostic ignored \"-Wdangling\"")

namespace fixture {
QUIET
uint64_t Quiet() { return 1; }
}  // namespace fixture
