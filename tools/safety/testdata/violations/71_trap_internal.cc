// expect: internal_decl or parse_error
#include "ostd/trap.h"

namespace fixture {
using ostd::trap_internal::CatchFault;
}  // namespace fixture
