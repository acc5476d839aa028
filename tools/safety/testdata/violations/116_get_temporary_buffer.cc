// expect: raw_new
// std::get_temporary_buffer: raw, unconstructed heap storage (whatever the
// block's previous owner left in it becomes a pointer).
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <utility>

namespace fixture {
struct Holder {
  uint64_t* target = nullptr;
};
void Write(uint64_t value) {
  std::pair<Holder*, std::ptrdiff_t> buf = std::get_temporary_buffer<Holder>(1);
  *buf.first->target = value;
}
}  // namespace fixture
