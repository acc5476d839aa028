// expect: scoped_guard
// The group is declared before what its task borrows, so that goes first:
// the task writes freed heap memory.
#include "ostd/result.h"
#include "ostd/task/task.h"
#include "ostd/util/box.h"

namespace fixture {
ostd::Status GroupOrder() {
  ostd::TaskGroup group;
  OSTD_TRY_ASSIGN(ostd::Box<int> b, ostd::MakeBox<int>(0));
  OSTD_TRY(group.Spawn([&b] { *b = 42; }));
  return {};
}
}  // namespace fixture
