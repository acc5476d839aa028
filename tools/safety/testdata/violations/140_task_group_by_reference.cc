// expect: scoped_guard
// A TaskGroup passed by reference outlives the callee's locals that its task
// borrows: the task writes a dead stack frame.
#include <array>
#include <cstdint>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
ostd::Status Helper(ostd::TaskGroup& group) {
  std::array<uint64_t, 4> local{};
  OSTD_TRY(group.Spawn([&local] { local[0] = 0x4141414141414141; }));
  return {};
}
}  // namespace fixture
