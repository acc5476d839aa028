// expect: stored_borrow
// Deferred work with a default reference capture, returned past the frame.
#include <cstdint>

#include "ostd/result.h"
#include "ostd/task/deferred_work.h"

namespace fixture {
ostd::Result<ostd::DeferredWork> MakeWork() {
  uint64_t hits = 0;
  OSTD_TRY_ASSIGN(ostd::DeferredWork w, ostd::DeferredWork::Create([&] { hits += 0x1000; }));
  w.Schedule();
  return w;
}
}  // namespace fixture
