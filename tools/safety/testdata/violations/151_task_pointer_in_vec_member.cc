// expect: handle_owned
// A container of task pointers as a member: each element outlives its task.
#include "ostd/result.h"
#include "ostd/task/task.h"
#include "ostd/util/vec.h"

namespace fixture {
class Registry {
 public:
  ostd::Status Add() { return tasks_.Push(ostd::CurrentTask()); }

 private:
  ostd::Vec<ostd::Task*> tasks_;
};
}  // namespace fixture
