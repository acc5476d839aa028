// expect: scoped_guard
// A class derived from a guard is a guard: as a member it would outlive the
// scope that took the lock.
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
