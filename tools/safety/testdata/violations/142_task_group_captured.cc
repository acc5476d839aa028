// expect: scoped_guard
// A task that reaches its own group spawns into it while the owner joins.
#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
ostd::Status GroupGrow() {
  ostd::TaskGroup group;
  OSTD_TRY(group.Spawn([&group] {
    for (int i = 0; i < 64; ++i) {
      if (!group.Spawn([] {})) break;
    }
  }));
  return {};
}
}  // namespace fixture
