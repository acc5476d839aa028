// expect: internal_decl or parse_error
// ostd::vm::vm_io_internal lives in a public header today; once it moves out,
// this file no longer compiles, which rejects it as well.
#include "ostd/vm/vm_io.h"

namespace fixture {
using ostd::vm::vm_io_internal::StoreKernel;
}  // namespace fixture
