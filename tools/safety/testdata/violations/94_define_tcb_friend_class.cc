// expect: foreign_namespace
// Defining the TCB's friend class in untrusted code would grant its access.
#include "ostd/util/ref_ptr.h"

namespace ostd::internal {
class RefCountAccess {
 public:
  static bool Drop(const RefCount& c) { return c.Release(); }
};
}  // namespace ostd::internal
