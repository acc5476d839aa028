// Linux's copy_struct_from_user, for the extensible structures whose size
// user space passes (clone_args, sched_attr, ...): the first
// min(size, sizeof(T)) bytes are read and the rest of T is zero; when user
// space's structure is larger than Keel's, every byte past sizeof(T) must be
// zero, else E2BIG. EFAULT for a bad address.
#ifndef KERNEL_SYSCALLS_COPY_STRUCT_H_
#define KERNEL_SYSCALLS_COPY_STRUCT_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ostd/result.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

// `P` is a user pointer to T with any direction (UserInPtr<T>,
// UserInOutPtr<T>).
template <typename T, typename P>
ostd::Result<T> CopyStructFromUser(P uptr, size_t size) {
  if (size > sizeof(T)) {
    OSTD_TRY_ASSIGN(P tail, uptr.Offset(sizeof(T)));
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                    ostd::vm::UserReader(tail.template Cast<uint8_t>(), size - sizeof(T)));
    while (r.has_remain()) {
      OSTD_TRY_ASSIGN(uint8_t b, r.ReadVal<uint8_t>());
      if (b != 0) return ostd::Err(ostd::Errno::kE2BIG);
    }
  }
  std::array<uint8_t, sizeof(T)> bytes{};
  std::span<uint8_t> want = std::span<uint8_t>(bytes).first(std::min(size, sizeof(T)));
  OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                  ostd::vm::UserReader(uptr.template Cast<uint8_t>(), want.size()));
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(want);
  if (!r.ReadTo(w).ok()) return ostd::Err(ostd::Errno::kEFAULT);
  return std::bit_cast<T>(bytes);
}

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_COPY_STRUCT_H_
