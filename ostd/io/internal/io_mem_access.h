// TCB-only access to IoMem: acquiring sensitive ranges (the framework's own
// devices) and reading a view's kernel-virtual address (for the user mapping
// and for tests of the mapping). Internal to the TCB: untrusted code cannot
// include this header, and the gate rejects references to namespace internal.
#ifndef OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_
#define OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_

#include <cstdint>

#include "ostd/io/io_mem.h"

namespace ostd::internal {

class IoMemAccess {
 public:
  // Like IoMem<Insensitive>::Acquire, but any range that is not RAM or the
  // kernel may be acquired, the sensitive ones (local APIC, IOAPICs, HPET,
  // ECAM, DMAR) included; ownership is still exclusive (EBUSY).
  [[nodiscard]] static Result<IoMem<Sensitive>> AcquireSensitive(
      Paddr paddr, uint64_t size, CachePolicy policy = CachePolicy::kUncached) {
    OSTD_TRY_ASSIGN(IoMapping m, IoMapping::Acquire(paddr, size, /*sensitive=*/true, policy));
    return IoMem<Sensitive>(std::move(m));
  }

  // The kernel-virtual address of the first byte of `view` (0 if empty).
  template <typename Tag>
  static Vaddr VaddrOf(const IoMemView<Tag>& view) {
    return view.size_ == 0 ? 0 : view.mapping_.vaddr() + view.offset_;
  }
};

}  // namespace ostd::internal

namespace ostd::io_mem_internal {
// The name ostd/io/user_map.cc uses.
using Access = internal::IoMemAccess;
}  // namespace ostd::io_mem_internal

#endif  // OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_
