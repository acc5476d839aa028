// expect: stored_borrow
// A functor whose member is a span (or a raw pointer) borrows just the same.
#include <array>
#include <cstdint>
#include <span>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
struct Filler {
  std::span<uint64_t> out;
  void operator()() const {
    for (uint64_t& v : out) v = 1;
  }
};
ostd::Status Start() {
  std::array<uint64_t, 4> local{};
  OSTD_TRY_ASSIGN(ostd::TaskRef t, ostd::Spawn(Filler{local}));
  static_cast<void>(t);
  return {};
}
}  // namespace fixture
