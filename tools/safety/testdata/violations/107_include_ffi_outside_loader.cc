// expect: include
// ostd/ffi is public ostd, but writing, sealing and running module bytes is
// the module loader's capability alone: no other directory may include it.
#include "ostd/ffi/module_memory.h"

namespace fixture {
int Nothing() { return 0; }
}  // namespace fixture
