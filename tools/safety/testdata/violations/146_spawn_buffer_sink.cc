// expect: stored_borrow
// A BufferSink writes into the caller's buffer (OSTD_BORROWING_VIEW).
#include <array>

#include "ostd/fmt.h"
#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
ostd::Status Sink() {
  std::array<char, 64> buf{};
  ostd::BufferSink sink(buf);
  OSTD_TRY(ostd::Spawn([sink]() mutable { sink.Write("AAAAAAAA"); }));
  return {};
}
}  // namespace fixture
