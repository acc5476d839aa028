// expect: parse_error
// A class derived from a guard would be a guard kept as a member: ostd makes
// the guard classes final (and the gate would treat a derived one as a guard).
#include "ostd/sync.h"

namespace fixture {
struct MyGuard : ostd::SpinLockGuard {
  using ostd::SpinLockGuard::SpinLockGuard;
};
struct Holder {
  explicit Holder(ostd::SpinLock& l) : held(l) {}
  MyGuard held;
};
}  // namespace fixture
