// expect: union
#include <cstdint>

union Pun {
  float f;
  std::uint32_t bits;
};
