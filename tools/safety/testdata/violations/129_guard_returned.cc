// expect: scoped_guard
// Guaranteed copy elision lets a function return a non-movable guard, which
// then lives in the caller's scope.
#include "ostd/task/preempt.h"

namespace fixture {
ostd::PreemptGuard Make() { return ostd::PreemptGuard(); }
}  // namespace fixture
