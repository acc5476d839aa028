// expect: stored_borrow
// Capturing `this` in a stored callable: the object may go first.
#include <cstdint>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
class Worker {
 public:
  ostd::Status Start() {
    OSTD_TRY_ASSIGN(ostd::TaskRef t, ostd::Spawn([this] { ++count_; }));
    static_cast<void>(t);
    return {};
  }

 private:
  uint64_t count_ = 0;
};
}  // namespace fixture
