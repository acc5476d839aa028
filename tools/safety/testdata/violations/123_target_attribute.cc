// expect: attribute
// __attribute__((target)) turns on SSE in a kernel built without it: the
// code clobbers the user's vector registers, which are still live.
#include <cstdint>

namespace fixture {
__attribute__((target("sse2"))) uint64_t Sse(uint64_t a) { return a * 3; }
}  // namespace fixture
