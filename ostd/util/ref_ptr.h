// RefPtr<T>: shared ownership of a heap object through an intrusive count.
//
// A class that is shared derives from RefCounted<itself> and is created only by
// MakeRef, which returns the first reference. Copies of a RefPtr share the
// object; the last one to go destroys it.
//
//   class Inode : public ostd::RefCounted<Inode> { public: virtual ~Inode(); ... };
//   OSTD_TRY_ASSIGN(ostd::RefPtr<Inode> inode, ostd::MakeRef<TmpfsInode>(...));
//   ostd::RefPtr<Inode> again = inode;               // count 2
//   ostd::RefPtr<Inode> self = inode->RefFromThis();  // inside a member: count 3
//
// Rules the types enforce:
//   * RefCounted<T> can only be a base of T (its constructor is private to T),
//     so the count always belongs to a T and the last drop deletes a T.
//   * A RefPtr is made only by MakeRef, by copying another RefPtr, or by
//     RefFromThis on an object MakeRef made (on any other object it panics): an
//     object on the stack or inside another object is never freed by a RefPtr.
//   * Dereferencing an empty RefPtr traps (a kernel bug), never a stray access.
// The count is atomic; RefPtrs may be copied and dropped on any CPU.
#ifndef OSTD_UTIL_REF_PTR_H_
#define OSTD_UTIL_REF_PTR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "ostd/result.h"

namespace ostd {

template <typename T>
class RefPtr;

template <typename T, typename... Args>
Result<RefPtr<T>> MakeRef(Args&&... args);

// Defined in ostd/util/downcast.h: a checked RefPtr<Base> -> RefPtr<D>.
template <typename D, typename B>
RefPtr<D> DowncastRef(const RefPtr<B>& from);

namespace internal {
class RefCountAccess;  // TCB-only (ostd/util/internal/ref_count_access.h)
}  // namespace internal

template <typename U>
RefPtr<U> RefFrom(U& object);

// The count itself. Only RefPtr, MakeRef and RefFromThis change it: the class
// that derives from RefCounted<T> cannot (friendship with RefCounted<T> does
// not reach this class), so no code outside this header can drop a reference
// it does not hold.
class RefCount {
 public:
  RefCount(const RefCount&) = delete;
  RefCount& operator=(const RefCount&) = delete;

  // The current number of references (for tests and statistics).
  uint32_t ref_count() const { return refs_.load(std::memory_order_relaxed); }

 private:
  template <typename U>
  friend class RefPtr;
  template <typename U>
  friend class RefCounted;
  template <typename U, typename... Args>
  friend Result<RefPtr<U>> MakeRef(Args&&... args);
  friend class internal::RefCountAccess;
  template <typename U>
  friend RefPtr<U> RefFrom(U& object);

  RefCount() = default;
  ~RefCount() = default;

  void AddRef() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  // True when this dropped the last reference.
  bool Release() const { return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  // A new reference unless the count is 0 (not made by MakeRef, or dying).
  bool TryAddRef() const {
    uint32_t n = refs_.load(std::memory_order_relaxed);
    do {
      if (n == 0) return false;
    } while (!refs_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
  }

  // 0 until MakeRef adopts the object; never 0 again while a RefPtr exists.
  mutable std::atomic<uint32_t> refs_{0};
};

// The intrusive count of a T. Derive T from RefCounted<T> (CRTP). If classes
// derive from T in turn and are held as RefPtr<T>, T needs a virtual destructor.
template <typename T>
class RefCounted : public RefCount {
 public:
  // A new reference to this object. Panics (traps) if the object was not made
  // by MakeRef or is being destroyed.
  RefPtr<T> RefFromThis() const;

 private:
  // Only T can construct (or destroy) its RefCounted<T> base: an unrelated
  // class deriving from RefCounted<T> would otherwise pass for a T.
  friend T;
  RefCounted() = default;
  ~RefCounted() = default;
};

// One counted reference to a T made by MakeRef, or empty (see the top of this
// file). The count is atomic, so RefPtrs to one object may be copied and
// dropped on any CPU at once; a single RefPtr variable is not thread-safe
// (like std::shared_ptr). The object is destroyed, in the context of whoever
// drops the last reference, by T's destructor.
template <typename T>
class RefPtr {
 public:
  constexpr RefPtr() = default;
  // An empty RefPtr (`RefPtr<T> p = nullptr;`).
  constexpr RefPtr(std::nullptr_t) {}
  // Another reference to `other`'s object (an atomic increment); empty if
  // `other` is.
  RefPtr(const RefPtr& other) : ptr_(other.ptr_) { AddRef(); }
  // Takes over `other`'s reference; `other` becomes empty.
  RefPtr(RefPtr&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  // From a RefPtr of a derived class; T must have a virtual destructor.
  template <typename U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U*, T*>)
  RefPtr(const RefPtr<U>& other) : ptr_(other.ptr_) {
    static_assert(std::has_virtual_destructor_v<T>,
                  "RefPtr<Base> from RefPtr<Derived> needs a virtual ~Base()");
    AddRef();
  }
  // Takes over the reference of a RefPtr to a derived class; `other` becomes
  // empty. T must have a virtual destructor.
  template <typename U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U*, T*>)
  RefPtr(RefPtr<U>&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {
    static_assert(std::has_virtual_destructor_v<T>,
                  "RefPtr<Base> from RefPtr<Derived> needs a virtual ~Base()");
  }
  // Makes this refer to `other`'s object (copied or moved in) and drops the
  // reference this held, destroying that object if it was the last.
  // Self-assignment is safe.
  RefPtr& operator=(RefPtr other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ~RefPtr() { Reset(); }

  // Drops this reference (destroying the object if it was the last).
  void Reset() {
    T* p = std::exchange(ptr_, nullptr);
    if (p != nullptr) Drop(p);
  }

  // True if this refers to an object.
  explicit operator bool() const { return ptr_ != nullptr; }
  // A non-owning pointer (nullptr if empty): valid while any RefPtr to it lives.
  T* get() const { return ptr_; }
  // The object; traps (a kernel panic) if empty. Valid while any RefPtr to
  // the object lives.
  T& operator*() const { return *Checked(); }
  // Member access to the object; traps (a kernel panic) if empty.
  T* operator->() const { return Checked(); }

  friend bool operator==(const RefPtr& a, const RefPtr& b) { return a.ptr_ == b.ptr_; }
  friend bool operator==(const RefPtr& a, std::nullptr_t) { return a.ptr_ == nullptr; }

 private:
  template <typename U>
  friend class RefPtr;
  template <typename U>
  friend class RefCounted;
  template <typename U, typename... Args>
  friend Result<RefPtr<U>> MakeRef(Args&&... args);
  template <typename D, typename B>
  friend RefPtr<D> DowncastRef(const RefPtr<B>& from);
  template <typename U>
  friend RefPtr<U> RefFrom(U& object);

  // Takes over one reference the caller already counted.
  struct AdoptTag {};
  RefPtr(T* p, AdoptTag) : ptr_(p) {}

  void AddRef() const {
    if (ptr_ != nullptr) ptr_->AddRef();
  }
  static void Drop(T* p) {
    if (p->Release()) {
      // SAFETY: the count reached zero, so this was the last reference to an
      // object MakeRef made with `new` (RefFromThis refuses others). Deleting
      // through T is sound: a RefPtr<T> holds an object of a type derived from
      // T only after a conversion, which requires T's destructor be virtual.
      delete p;
    }
  }
  T* Checked() const {
    if (ptr_ == nullptr) [[unlikely]]
      __builtin_trap();  // Dereferencing an empty RefPtr: a kernel bug.
    return ptr_;
  }

  T* ptr_ = nullptr;
};

template <typename T>
RefPtr<T> RefCounted<T>::RefFromThis() const {
  // A count of 0 means the object was not made by MakeRef (or its last
  // reference is gone and it is being destroyed): no reference can be made.
  if (!TryAddRef()) [[unlikely]]
    __builtin_trap();
  // SAFETY: RefCounted<T>'s constructor is private to T, so `this` is the
  // RefCounted base of a T; the reference was counted above. const is dropped
  // as for any shared object reached through a RefPtr.
  return RefPtr<T>(const_cast<T*>(static_cast<const T*>(this)), typename RefPtr<T>::AdoptTag{});
}

// A new reference to `object`, typed as its own class U (RefFromThis gives the
// type that derives from RefCounted, often a base). Traps if the object was not
// made by MakeRef or is being destroyed. U must be final or have a virtual
// destructor, so the last RefPtr<U> destroys the whole object.
template <typename U>
RefPtr<U> RefFrom(U& object) {
  static_assert(std::is_final_v<U> || std::has_virtual_destructor_v<U>,
                "RefFrom<U>: U must be final or have a virtual destructor");
  if (!object.TryAddRef()) [[unlikely]]
    __builtin_trap();
  return RefPtr<U>(&object, typename RefPtr<U>::AdoptTag{});
}

// A new T(args...) on the heap, holding its first reference. ENOMEM when the
// heap is exhausted. T derives (directly or not) from some RefCounted<V>; if
// T is not V, V must have a virtual destructor.
template <typename T, typename... Args>
Result<RefPtr<T>> MakeRef(Args&&... args) {
  // SAFETY: the fallible allocation; the count is adopted by the RefPtr below.
  T* p = new (std::nothrow) T(std::forward<Args>(args)...);
  if (p == nullptr) return Err(Errno::kENOMEM);
  p->AddRef();
  return RefPtr<T>(p, typename RefPtr<T>::AdoptTag{});
}

}  // namespace ostd

#endif  // OSTD_UTIL_REF_PTR_H_
