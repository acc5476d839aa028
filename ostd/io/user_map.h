// Mapping device memory (IoMem) into a user address space.
#ifndef OSTD_IO_USER_MAP_H_
#define OSTD_IO_USER_MAP_H_

#include <utility>

#include "ostd/boot.h"
#include "ostd/io/io_mem.h"
#include "ostd/result.h"
#include "ostd/util/box.h"
#include "ostd/vm/vm_space.h"

namespace ostd::io {

// Maps all of `mem` at user address `va` of `space`: readable, writable if
// `writable`, never executable, with the same caching as the kernel's own
// mapping of it (uncached unless acquired kWriteBack), so there is no alias with
// a different memory type. The space takes `mem` over: the range stays claimed
// (nobody else can acquire it) until every page of the mapping has been
// unmapped, with TLBs flushed, or the space is destroyed.
//   EINVAL  mem's address or size, or va, not page aligned; va range not in user space
//   EEXIST  something is already mapped in [va, va + size)
//   ENOMEM  no memory for page tables or bookkeeping
// On error `mem` is released.
Status MapToUser(vm::VmSpace& space, Vaddr va, IoMem<Insensitive> mem, bool writable);

// The one way into VmSpace's device mappings (a friend of VmSpace).
class UserMapper {
 private:
  friend Status MapToUser(vm::VmSpace& space, Vaddr va, IoMem<Insensitive> mem, bool writable);
  static Status Map(vm::VmSpace& space, Vaddr va, Paddr pa, uint64_t len, mm::PageFlags flags,
                    Box<vm::DeviceMemoryOwner> owner) {
    return space.MapDevice(va, pa, len, flags, std::move(owner));
  }
};

}  // namespace ostd::io

#endif  // OSTD_IO_USER_MAP_H_
