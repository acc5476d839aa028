// expect: include
// as: lib
// lib/ may not include ktest/ktest.h either (kernel code may).
#include "ktest/ktest.h"

namespace klib_fixture {

int Answer() { return 42; }

}  // namespace klib_fixture
