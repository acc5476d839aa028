// expect: destructor_call
// An explicit destructor call frees what the owner frees again at the end of
// the scope (here the Vec's storage: a double free without a single cast).
#include "ostd/util/vec.h"

namespace fixture {
void DoubleFree() {
  ostd::Vec<int> v;
  (void)v.Push(1);
  v.~Vec();
}
}  // namespace fixture
