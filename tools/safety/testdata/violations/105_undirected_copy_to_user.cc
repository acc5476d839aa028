// expect: internal_decl or parse_error
// Kernel code copies through directional user pointers only; the undirected
// UserPtr<T> copies are TCB-only (ostd/vm/internal/undirected_copy.h).
#include <cstdint>

#include "ostd/result.h"
#include "ostd/vm/user_ptr.h"
#include "ostd/vm/vm_space.h"

namespace fixture {
ostd::Status Poke(uint64_t addr) {
  return ostd::vm::CopyToUser(ostd::vm::UserPtr<uint64_t>(addr), uint64_t{1});
}
}  // namespace fixture
