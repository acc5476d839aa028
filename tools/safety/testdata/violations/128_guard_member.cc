// expect: scoped_guard
// A guard as a member outlives the scope that took it.
#include "ostd/sync.h"

namespace fixture {
struct Holder {
  explicit Holder(ostd::SpinLock& l) : guard(l) {}
  ostd::SpinLockGuard guard;
};
}  // namespace fixture
