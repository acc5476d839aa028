// expect: scoped_guard
// A PreemptGuard in a Box can be dropped by a task on another CPU: that
// CPU's preempt count underflows and a critical section of ostd (its fault
// catcher) becomes preemptible, with its recovery point left armed.
#include <utility>

#include "ostd/result.h"
#include "ostd/task/preempt.h"
#include "ostd/util/box.h"

namespace fixture {
ostd::Status Hand(ostd::Box<ostd::PreemptGuard>& out) {
  OSTD_TRY_ASSIGN(ostd::Box<ostd::PreemptGuard> g, ostd::MakeBox<ostd::PreemptGuard>());
  out = std::move(g);
  return {};
}
}  // namespace fixture
