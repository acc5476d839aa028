// expect: internal_decl or parse_error
#include "ostd/io/io_mem.h"

namespace fixture {
using ostd::io_mem_internal::StoreOnce;
}  // namespace fixture
