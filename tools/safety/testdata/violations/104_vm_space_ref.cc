// expect: internal_decl
// The counted VmSpace reference inside user cursors is TCB-only.
#include "ostd/vm/vm_io.h"

namespace fixture {
int Probe() {
  ostd::vm::vm_internal::VmSpaceRef ref;
  return ref.get() == nullptr ? 0 : 1;
}
}  // namespace fixture
