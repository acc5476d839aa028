// expect: address_space
// x86 address space 256 is %gs-relative: a null pointer in it writes the
// per-CPU area (the current task, the kernel stack top).
#include <cstdint>

namespace fixture {
void Write(uint64_t v) {
  __attribute__((address_space(256))) uint64_t* p = nullptr;
  *p = v;
}
}  // namespace fixture
