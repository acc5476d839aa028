// TCB-only views of a VmSpace (physical addresses of mapped pages, for tests).
#ifndef OSTD_VM_INTERNAL_VM_SPACE_ACCESS_H_
#define OSTD_VM_INTERNAL_VM_SPACE_ACCESS_H_

#include <optional>

#include "ostd/boot.h"
#include "ostd/vm/vm_space.h"

namespace ostd::vm {

struct VmSpaceAccess {
  // The physical base of the page mapped at `va`, or nullopt.
  static std::optional<Paddr> FrameOf(const VmSpace& space, Vaddr va) {
    return space.QueryPaddr(va);
  }
};

}  // namespace ostd::vm

#endif  // OSTD_VM_INTERNAL_VM_SPACE_ACCESS_H_
