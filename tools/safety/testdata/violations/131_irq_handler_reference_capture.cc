// expect: stored_borrow
// An interrupt handler bound to a line that outlives the frame it captured.
#include <cstdint>

#include "ostd/irq.h"
#include "ostd/result.h"

namespace fixture {
ostd::Result<ostd::IrqLine> MakeLine() {
  OSTD_TRY_ASSIGN(ostd::IrqLine line, ostd::IrqLine::Alloc());
  uint64_t counter = 0;
  OSTD_TRY(line.Bind([&counter] { ++counter; }));
  return line;
}
}  // namespace fixture
