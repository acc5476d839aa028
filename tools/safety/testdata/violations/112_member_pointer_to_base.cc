// expect: downcast
// A member pointer of a derived class cast to one of its base: applied to a
// plain base object it writes 1 MiB past it.
#include <array>
#include <cstdint>

namespace fixture {
struct Small {
  uint64_t a = 0;
};
struct Huge : Small {
  std::array<uint8_t, (uint64_t{1} << 20)> pad;
  uint64_t far = 0;
};
Small g_small;
void Write(uint64_t value) {
  uint64_t Huge::* in_huge = &Huge::far;
  uint64_t Small::* in_small = static_cast<uint64_t Small::*>(in_huge);
  g_small.*in_small = value;
}
}  // namespace fixture
