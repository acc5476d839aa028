// TCB-only access to IoMem: acquiring sensitive ranges (the framework's own
// devices) and reading a view's kernel-virtual address (for tests of the
// mapping). Internal to the TCB: untrusted code cannot include this header.
#ifndef OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_
#define OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_

#include <cstdint>

#include "ostd/io/io_mem.h"

namespace ostd::io_mem_internal {

class Access {
 public:
  // Like IoMem<Insensitive>::Acquire, but sensitive ranges (local APIC, IOAPIC,
  // HPET) are allowed too. RAM and the kernel are still refused (EACCES), and
  // ownership is still exclusive (EBUSY).
  [[nodiscard]] static Result<IoMem<Sensitive>> AcquireSensitive(
      Paddr paddr, uint64_t size, CachePolicy policy = CachePolicy::kUncached) {
    OSTD_TRY_ASSIGN(Region r, Acquire(paddr, size, /*sensitive=*/true, policy));
    return IoMem<Sensitive>(r);
  }

  // The kernel-virtual address of the first byte of `view`.
  template <typename Tag>
  static Vaddr VaddrOf(const IoMemView<Tag>& view) {
    return view.vaddr_;
  }
};

}  // namespace ostd::io_mem_internal

#endif  // OSTD_IO_INTERNAL_IO_MEM_ACCESS_H_
