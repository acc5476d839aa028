// expect: parse_error
// A reader over a temporary array would read a dead object: ostd deletes
// that overload, so the file does not compile.
#include <array>
#include <cstdint>

#include "ostd/vm/vm_io.h"

namespace fixture {
uint64_t FromTemporary() {
  auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(std::array<uint8_t, 16>{});
  return r.remain();
}
}  // namespace fixture
