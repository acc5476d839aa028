// TCB-only: direct access to an object's reference count, for ostd types that
// hold a reference without a RefPtr member (a VmReader/VmWriter pins its
// VmSpace this way, since vm_io.h cannot include vm_space.h). Every AddRef must
// be paired with exactly one Release; the caller deletes the object when
// Release returns true.
#ifndef OSTD_UTIL_INTERNAL_REF_COUNT_ACCESS_H_
#define OSTD_UTIL_INTERNAL_REF_COUNT_ACCESS_H_

#include "ostd/util/ref_ptr.h"

namespace ostd::internal {

class RefCountAccess {
 public:
  static void AddRef(const RefCount& count) { count.AddRef(); }
  // True when this dropped the last reference.
  static bool Release(const RefCount& count) { return count.Release(); }
};

}  // namespace ostd::internal

#endif  // OSTD_UTIL_INTERNAL_REF_COUNT_ACCESS_H_
