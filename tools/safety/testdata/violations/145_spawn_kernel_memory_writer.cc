// expect: stored_borrow
// A FromSpan writer holds its span as numbers: still a borrow of a local.
#include <array>
#include <cstdint>
#include <utility>

#include "ostd/result.h"
#include "ostd/task/task.h"
#include "ostd/vm/vm_io.h"

namespace fixture {
ostd::Status Writer() {
  std::array<uint8_t, 64> buf{};
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(buf);
  OSTD_TRY(ostd::Spawn([w = std::move(w)]() mutable {
    static_cast<void>(w.WriteVal<uint64_t>(0x4141414141414141));
  }));
  return {};
}
}  // namespace fixture
