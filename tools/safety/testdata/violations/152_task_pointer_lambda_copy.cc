// expect: handle_owned
// A closure that copies a task pointer can be kept past the task's end.
#include <utility>

#include "ostd/task/task.h"

namespace fixture {
template <typename F>
struct Later {
  F fn;
};

auto MakeLater() {
  ostd::Task* self = ostd::CurrentTask();
  return Later{[self] { self->set_nice(5); }};
}
}  // namespace fixture
