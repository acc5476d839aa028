// Box<T>: the single owner of one heap object, freed when the Box goes.
//
// Kernel code owns heap objects only through Box and RefPtr (ostd/util/ref_ptr.h):
// it never writes `new` or `delete`. Creation can fail (the kernel heap can run
// out), so it returns a Result:
//
//   OSTD_TRY_ASSIGN(ostd::Box<Pipe> pipe, ostd::MakeBox<Pipe>(capacity));
//   pipe->Write(...);
//   ostd::Box<File> file = std::move(pipe);   // Pipe derives from File
//
// A Box is empty after it was moved from or Reset(); dereferencing an empty Box
// is a kernel bug and traps (a panic), never a stray access. There is no way to
// make a Box from a raw pointer or to take the pointer out of one, so a Box
// always owns exactly what MakeBox made.
#ifndef OSTD_UTIL_BOX_H_
#define OSTD_UTIL_BOX_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "ostd/result.h"

namespace ostd {

template <typename T>
class Box;

template <typename T, typename... Args>
Result<Box<T>> MakeBox(Args&&... args);

// The sole owner of one T made by MakeBox, or empty (see the top of this
// file). Move-only; not thread-safe (a Box is one variable, like a
// std::unique_ptr).
template <typename T>
class Box {
  static_assert(!std::is_array_v<T>, "Box<T[]>: use ostd::Vec");

 public:
  constexpr Box() = default;
  // An empty Box (`Box<T> b = nullptr;`).
  constexpr Box(std::nullptr_t) {}
  // Takes over `other`'s object; `other` becomes empty.
  Box(Box&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  // From a Box of a derived class; T must have a virtual destructor.
  template <typename U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U*, T*>)
  Box(Box<U>&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {
    static_assert(std::has_virtual_destructor_v<T>,
                  "Box<Base> from Box<Derived> needs a virtual ~Base()");
  }
  // Destroys the object this Box held (if any) and takes over `other`'s;
  // `other` becomes empty. Self-move leaves the object in place.
  Box& operator=(Box&& other) noexcept {
    Box tmp(std::move(other));
    std::swap(ptr_, tmp.ptr_);
    return *this;
  }
  // Same as Reset(): destroys the object (if any) and leaves the Box empty.
  Box& operator=(std::nullptr_t) {
    Reset();
    return *this;
  }
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;
  ~Box() { Reset(); }

  // Destroys the object now (if any); the Box is empty afterwards.
  void Reset() {
    T* p = std::exchange(ptr_, nullptr);
    // SAFETY: p came from MakeBox's `new` and this Box was its only owner.
    delete p;
  }

  // True if the Box holds an object.
  explicit operator bool() const { return ptr_ != nullptr; }
  // A non-owning pointer to the object (nullptr if empty), e.g. to compare
  // identities or to keep in a structure the Box outlives.
  T* get() const { return ptr_; }
  // The object; traps (a kernel panic) if the Box is empty. The reference is
  // valid until the Box is reset, assigned or destroyed.
  T& operator*() const { return *Checked(); }
  // Member access to the object; traps (a kernel panic) if the Box is empty.
  T* operator->() const { return Checked(); }

  friend bool operator==(const Box& a, std::nullptr_t) { return a.ptr_ == nullptr; }

 private:
  template <typename U>
  friend class Box;
  template <typename U, typename... Args>
  friend Result<Box<U>> MakeBox(Args&&... args);

  explicit Box(T* p) : ptr_(p) {}
  T* Checked() const {
    if (ptr_ == nullptr) [[unlikely]]
      __builtin_trap();  // Dereferencing an empty Box: a kernel bug.
    return ptr_;
  }

  T* ptr_ = nullptr;
};

// A new T(args...) on the heap. ENOMEM when the heap is exhausted.
template <typename T, typename... Args>
Result<Box<T>> MakeBox(Args&&... args) {
  // SAFETY: the fallible allocation; the new object is owned by the Box alone.
  T* p = new (std::nothrow) T(std::forward<Args>(args)...);
  if (p == nullptr) return Err(Errno::kENOMEM);
  return Box<T>(p);
}

}  // namespace ostd

#endif  // OSTD_UTIL_BOX_H_
