// expect: scoped_guard
// A SpinLockGuard in a std::optional (emplace/reset inside a system header
// hide it from -Wthread-safety) can be released by another task.
#include <optional>

#include "ostd/sync.h"

namespace fixture {
struct Shared {
  ostd::SpinLock lock;
  std::optional<ostd::SpinLockGuard> held;
};
void Take(Shared& s) { s.held.emplace(s.lock); }
void Drop(Shared& s) { s.held.reset(); }
}  // namespace fixture
