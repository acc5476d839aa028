// expect: internal_decl or parse_error
#include "ostd/task/task.h"

namespace fixture {
using ostd::task_internal::Closure;
}  // namespace fixture
