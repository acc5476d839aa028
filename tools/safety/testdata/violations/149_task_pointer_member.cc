// expect: handle_owned
// A Task* kept in an object outlives the call that borrowed it: once the task
// exits and its last TaskRef goes, set_nice writes freed memory.
#include "ostd/task/task.h"

namespace fixture {
struct Worker {
  const ostd::Task* task = nullptr;
};

void Remember(Worker& w) { w.task = ostd::CurrentTask(); }
void Later(const Worker& w) { w.task->set_nice(10); }
}  // namespace fixture
