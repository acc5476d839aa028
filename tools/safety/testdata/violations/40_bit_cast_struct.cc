// expect: int_to_ptr
#include <cstdint>

struct Holder {
  int* target = nullptr;
};

int Read(std::uint64_t address) {
  Holder h = __builtin_bit_cast(Holder, address);
  return *h.target;
}
