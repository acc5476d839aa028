// A Task* is fine as a local or a parameter (a borrow for the call); kept
// past it, a task is a TaskRef (or its id).
#include <cstdint>

#include "ostd/task/task.h"

namespace fixture {
uint64_t IdOf(const ostd::Task* t) { return t == nullptr ? 0 : t->id(); }

struct Worker {
  ostd::TaskRef task;
  uint64_t task_id = 0;
};

void Remember(Worker& w) {
  ostd::Task* self = ostd::CurrentTask();
  w.task_id = IdOf(self);
  w.task = ostd::CurrentTaskRef();
  auto nice = [&self] { return self->nice(); };
  (void)nice();
}
}  // namespace fixture
