// expect: pragma
// A diagnostic pragma switches off a -Werror check of the real build (here
// the deprecation of a raw-memory API).
#include <cstdint>

namespace fixture {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
uint64_t Quiet() { return 1; }
#pragma clang diagnostic pop
}  // namespace fixture
