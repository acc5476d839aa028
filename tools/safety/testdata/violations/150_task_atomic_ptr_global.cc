// expect: handle_owned
// An AtomicPtr to a task in a global is a raw pointer with static storage,
// read by anyone after the task may have gone.
#include "ostd/task/task.h"
#include "ostd/util/atomic_ptr.h"

namespace fixture {
ostd::AtomicPtr<const ostd::Task> last_task;

void Remember() { last_task.store(ostd::CurrentTask()); }
}  // namespace fixture
