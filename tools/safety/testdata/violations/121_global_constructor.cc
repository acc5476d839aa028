// expect: global_ctor
// A global with a dynamic initializer runs as a global constructor, before
// ostd has set up memory (the boot page tables still alias device memory).
#include <array>
#include <cstdint>

namespace fixture {
uint64_t Now();
struct Early {
  uint64_t stamp;
  Early() : stamp(Now()) {}
};
Early g_early;
uint64_t Now() { return 1; }
}  // namespace fixture
