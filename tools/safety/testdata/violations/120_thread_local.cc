// expect: thread_local
// The kernel has no TLS: a thread_local store is %fs-relative, and %fs holds
// the user's base (which arch_prctl sets), so it writes where user space says.
#include <cstdint>

namespace fixture {
thread_local uint64_t t_slot = 0;
void Write(uint64_t v) { t_slot = v; }
}  // namespace fixture
