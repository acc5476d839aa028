// expect: attribute
// Only checking and hint attributes are allowed; cleanup runs code at scope
// exit outside the language's rules.
#include <cstdint>

namespace fixture {
void Clean(uint64_t* p) { (void)p; }
void Use() {
  __attribute__((cleanup(Clean))) uint64_t x = 0;
  (void)x;
}
}  // namespace fixture
