// Typed user-space addresses and user range checks.
//
// A UserPtr<T> is an opaque user virtual address: it holds only the number and
// never converts to a kernel pointer. The memory behind it is reached only
// through a VmSpace's fallible readers and writers (ostd/vm/vm_io.h,
// ostd/vm/vm_space.h). All arithmetic is overflow-checked. Pure logic: built
// for host tests and for the kernel.
#ifndef OSTD_VM_USER_PTR_H_
#define OSTD_VM_USER_PTR_H_

#include <cstdint>
#include <type_traits>

#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::vm {

// First address above user space (user space is [0, kUserSpaceEnd)).
inline constexpr Vaddr kUserSpaceEnd = 0x0000800000000000;

// OK if [addr, addr + len) lies entirely below kUserSpaceEnd. EFAULT if it
// reaches past it or if addr + len overflows. An empty range is OK when addr is
// at most kUserSpaceEnd.
constexpr Status CheckUserRange(Vaddr addr, uint64_t len) {
  if (addr > kUserSpaceEnd || len > kUserSpaceEnd - addr) return Err(Errno::kEFAULT);
  return {};
}

// An opaque, typed user-space address. Copyable value type. `T` may be void
// (element size 1). Holding a UserPtr grants no access: the address is checked
// again whenever memory is read or written through it.
template <typename T>
class UserPtr {
 public:
  // Bytes per element (1 for void).
  static constexpr uint64_t kElemSize = [] {
    if constexpr (std::is_void_v<T>) {
      return uint64_t{1};
    } else {
      return uint64_t{sizeof(T)};
    }
  }();

  constexpr UserPtr() = default;
  // Wraps a user address as received from user space (e.g. a syscall argument).
  // Any value is accepted; checks happen on use.
  constexpr explicit UserPtr(Vaddr addr) : addr_(addr) {}

  // The numeric address (for logging, alignment checks and range math).
  constexpr Vaddr addr() const { return addr_; }
  constexpr bool is_null() const { return addr_ == 0; }

  // Bytes taken by `count` elements; EOVERFLOW if that does not fit 64 bits.
  static constexpr Result<uint64_t> ByteSize(uint64_t count) {
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(count, kElemSize, &bytes)) return Err(Errno::kEOVERFLOW);
    return bytes;
  }

  // The address `bytes` bytes further on. EOVERFLOW if the sum wraps, EFAULT if
  // it lands past kUserSpaceEnd.
  constexpr Result<UserPtr> Offset(uint64_t bytes) const {
    uint64_t sum = 0;
    if (__builtin_add_overflow(addr_, bytes, &sum)) return Err(Errno::kEOVERFLOW);
    if (sum > kUserSpaceEnd) return Err(Errno::kEFAULT);
    return UserPtr(sum);
  }

  // The address of element `index` (this + index * kElemSize). EOVERFLOW if the
  // product or the sum overflows, EFAULT if the element does not lie entirely
  // in user space.
  constexpr Result<UserPtr> At(uint64_t index) const {
    OSTD_TRY_ASSIGN(uint64_t off, ByteSize(index));
    OSTD_TRY_ASSIGN(UserPtr p, Offset(off));
    OSTD_TRY(CheckUserRange(p.addr_, kElemSize));
    return p;
  }

  // OK if `count` elements starting here lie entirely in user space; EOVERFLOW
  // if their size overflows, EFAULT otherwise.
  constexpr Status CheckRange(uint64_t count) const {
    OSTD_TRY_ASSIGN(uint64_t bytes, ByteSize(count));
    return CheckUserRange(addr_, bytes);
  }

  // The same address viewed as another element type.
  template <typename U>
  constexpr UserPtr<U> Cast() const {
    return UserPtr<U>(addr_);
  }

  friend constexpr bool operator==(const UserPtr&, const UserPtr&) = default;

 private:
  Vaddr addr_ = 0;
};

}  // namespace ostd::vm

#endif  // OSTD_VM_USER_PTR_H_
