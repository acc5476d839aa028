#include <cstdio>
#include <cstdlib>

#include "ostd/util/vec.h"

namespace ostd::vec_internal {

void IndexOutOfRange(size_t index, size_t size) {
  std::fprintf(stderr, "Vec index %zu out of range (size %zu)\n", index, size);
  std::abort();
}

}  // namespace ostd::vec_internal
