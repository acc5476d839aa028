// expect: stored_borrow
// Calling Spawn through a pointer would skip the check of its callable.
#include <array>
#include <cstdint>
#include <utility>

#include "ostd/result.h"
#include "ostd/task/task.h"

namespace fixture {
ostd::Status ViaPointer() {
  std::array<uint64_t, 8> local{};
  auto fn = [&local] { local[0] = 0x4141414141414141; };
  auto* spawn = &ostd::Spawn<decltype(fn)>;
  OSTD_TRY(spawn(std::move(fn), ostd::TaskOptions()));
  return {};
}
}  // namespace fixture
