// Typed user-space addresses and user range checks.
//
// A UserPtr<T> is an opaque user virtual address: it holds only the number and
// never converts to a kernel pointer. UserInPtr<T>, UserOutPtr<T> and
// UserInOutPtr<T> add the direction the kernel uses it in (reads from user
// space, writes to it, or both), so that copying the wrong way does not
// compile (see UserReadable/UserWritable and the copies in vm_space.h). The memory behind it is
// reached only through a VmSpace's fallible readers and writers (ostd/vm/vm_io.h,
// ostd/vm/vm_space.h). All arithmetic is overflow-checked. Pure logic: built
// for host tests and for the kernel.
#ifndef OSTD_VM_USER_PTR_H_
#define OSTD_VM_USER_PTR_H_

#include <cstdint>
#include <type_traits>

#include "ostd/boot.h"
#include "ostd/pod.h"
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
  // True for address 0 (NULL in user space). Only a comparison: address 0 may
  // still be mapped, and any other address may be unmapped.
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

// Which way the kernel moves bytes through a user pointer: kIn, user memory the
// kernel reads (a request); kOut, user memory the kernel writes (a result);
// kInOut, both (e.g. a buffer updated in place).
enum class UserAccess { kIn, kOut, kInOut };

// A UserPtr<T> with a direction. Copyable value type, like UserPtr: it holds
// only the address and grants nothing. A kInOut pointer converts implicitly to
// a kIn or kOut one (dropping a right); no other conversion between
// directions exists. Element arithmetic keeps the direction.
template <typename T, UserAccess A>
class UserDirPtr {
 public:
  // The element type.
  using Elem = T;
  // The direction.
  static constexpr UserAccess kAccess = A;
  // sizeof(T) (1 for void).
  static constexpr uint64_t kElemSize = UserPtr<T>::kElemSize;

  constexpr UserDirPtr() = default;
  // Wraps a user address as received from user space; checks happen on use.
  constexpr explicit UserDirPtr(Vaddr addr) : ptr_(addr) {}
  // Gives a plain user pointer a direction.
  constexpr explicit UserDirPtr(UserPtr<T> ptr) : ptr_(ptr) {}
  // kInOut -> kIn or kOut.
  template <UserAccess B>
    requires(B == UserAccess::kInOut && A != UserAccess::kInOut)
  constexpr UserDirPtr(UserDirPtr<T, B> other) : ptr_(other.ptr()) {}

  // The user address.
  constexpr Vaddr addr() const { return ptr_.addr(); }
  // True for address 0.
  constexpr bool is_null() const { return ptr_.is_null(); }
  // The address without its direction, for APIs that take a plain UserPtr
  // (e.g. VmSpace::Reader); prefer the directional copies.
  constexpr UserPtr<T> ptr() const { return ptr_; }

  // As UserPtr::Offset, keeping the direction.
  constexpr Result<UserDirPtr> Offset(uint64_t bytes) const {
    OSTD_TRY_ASSIGN(UserPtr<T> p, ptr_.Offset(bytes));
    return UserDirPtr(p);
  }
  // As UserPtr::At, keeping the direction.
  constexpr Result<UserDirPtr> At(uint64_t index) const {
    OSTD_TRY_ASSIGN(UserPtr<T> p, ptr_.At(index));
    return UserDirPtr(p);
  }
  // As UserPtr::CheckRange.
  constexpr Status CheckRange(uint64_t count) const { return ptr_.CheckRange(count); }
  // The same address and direction viewed as another element type.
  template <typename U>
  constexpr UserDirPtr<U, A> Cast() const {
    return UserDirPtr<U, A>(addr());
  }

  friend constexpr bool operator==(const UserDirPtr&, const UserDirPtr&) = default;

 private:
  UserPtr<T> ptr_;
};

// User memory the kernel only reads.
template <typename T>
using UserInPtr = UserDirPtr<T, UserAccess::kIn>;
// User memory the kernel only writes.
template <typename T>
using UserOutPtr = UserDirPtr<T, UserAccess::kOut>;
// User memory the kernel reads and writes.
template <typename T>
using UserInOutPtr = UserDirPtr<T, UserAccess::kInOut>;

namespace user_ptr_detail {
template <typename P>
struct Dir {
  static constexpr bool kIsDir = false;
};
template <typename T, UserAccess A>
struct Dir<UserDirPtr<T, A>> {
  static constexpr bool kIsDir = true;
  static constexpr UserAccess kAccess = A;
  using Elem = T;
};
}  // namespace user_ptr_detail

// A directional user pointer the kernel may read through: kIn or kInOut. The
// copies from user space (CopyFromUser, UserReader, CopyStringFromUser) accept
// only these, so reading through a UserOutPtr does not compile.
template <typename P>
concept UserReadable =
    user_ptr_detail::Dir<P>::kIsDir && user_ptr_detail::Dir<P>::kAccess != UserAccess::kOut;
// A directional user pointer the kernel may write through: kOut or kInOut.
template <typename P>
concept UserWritable =
    user_ptr_detail::Dir<P>::kIsDir && user_ptr_detail::Dir<P>::kAccess != UserAccess::kIn;
// A user pointer through which one value may be copied out: writable, and its
// element type is ostd::Pod (no padding, pointers or bool), so no kernel byte
// that is not part of a value reaches user space.
template <typename P>
concept UserCopyOut = UserWritable<P> && Pod<typename user_ptr_detail::Dir<P>::Elem>;
// A user pointer from which one value may be copied in: readable, element Pod
// (every byte pattern is a valid value, so user bytes forge nothing).
template <typename P>
concept UserCopyIn = UserReadable<P> && Pod<typename user_ptr_detail::Dir<P>::Elem>;

}  // namespace ostd::vm

#endif  // OSTD_VM_USER_PTR_H_
