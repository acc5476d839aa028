// Kernel code may include lib/ (the checked library) directly, and reaches the
// same declarations through ostd's using-declarations.
#include "lib/result.h"
#include "ostd/result.h"

namespace clean {

ostd::Result<int> Checked(int v) {
  if (v < 0) return klib::Err(ostd::Errno::kEINVAL);
  return v;
}

}  // namespace clean
