// expect: stored_borrow
// std::initializer_list points at a temporary array on the creator's stack.
#include <cstdint>
#include <initializer_list>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
struct Cell {
  mutable uint64_t v = 0;
};
ostd::Status InitList() {
  std::initializer_list<Cell> cells = {Cell{}, Cell{}};
  OSTD_TRY(ostd::Spawn([cells] {
    for (const Cell& c : cells) c.v = 0x4141414141414141;
  }));
  return {};
}
}  // namespace fixture
