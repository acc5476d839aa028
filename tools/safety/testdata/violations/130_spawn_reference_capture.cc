// expect: stored_borrow
// A spawned task that outlives its creator's frame writes into it: the
// closure ostd keeps holds &local.
#include <cstdint>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
ostd::Status Victim() {
  uint64_t local = 0;
  OSTD_TRY_ASSIGN(ostd::TaskRef t, ostd::Spawn([&local] {
                    ostd::SleepFor(1000000);
                    local = 0x4141414141414141;
                  }));
  static_cast<void>(t);
  return {};
}
}  // namespace fixture
