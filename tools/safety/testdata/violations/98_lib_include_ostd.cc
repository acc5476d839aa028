// expect: include
// as: lib
// lib/ (the checked library) is included by ostd, so it may not include ostd's
// headers, not even public ones: only lib/ and allowlisted standard headers.
#include <cstdint>

#include "ostd/result.h"

namespace klib_fixture {

uint64_t Twice(uint64_t v) { return 2 * v; }

}  // namespace klib_fixture
