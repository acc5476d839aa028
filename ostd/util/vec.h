// Vec<T>: a growable array whose growth can fail, for code that may not use
// raw pointers (kernel/ has no std::vector: the kernel's allocator can fail,
// and element access must be bounds-checked).
//
//   ostd::Vec<int> v;
//   OSTD_TRY(v.Push(3));          // ENOMEM when the heap is exhausted
//   for (int x : v) ...           // iterates a std::span
//   v[7];                         // out of range: panic (a kernel bug), never a stray access
//
// Not copyable (a copy can fail): use Clone(). Elements must be nothrow
// move-constructible.
#ifndef OSTD_UTIL_VEC_H_
#define OSTD_UTIL_VEC_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "ostd/result.h"

namespace ostd {
namespace vec_internal {
// Reports an index out of range: a panic in the kernel, an abort on the host.
[[noreturn]] void IndexOutOfRange(size_t index, size_t size);
// Reports a Vec changed from inside one of its own element operations: a
// panic in the kernel, an abort on the host.
[[noreturn]] void Reentered();
}  // namespace vec_internal

// A heap array of T that owns its elements (see the top of this file). Not
// thread-safe. References, spans and iterators into it are valid until the
// next call that changes its size or capacity (Reserve, Push, Insert, Erase,
// PopBack, Resize, Truncate, Clear, a move), as with std::vector; after that
// they may dangle, which the type system does not catch.
// While a Vec runs an element's constructor, assignment or destructor (to
// grow, insert, erase, shrink, clone or destroy), changing that same Vec from
// inside it (a T whose destructor pushes to the Vec that holds it, say) panics:
// the element storage is in flux, so it would be a use after free.
template <typename T>
class Vec {
  static_assert(std::is_nothrow_move_constructible_v<T>);

 public:
  Vec() = default;
  ~Vec() {
    Busy busy(*this);
    TruncateLocked(0);
    Deallocate(data_);
  }
  // Takes over `other`'s elements and storage; `other` becomes empty with no
  // storage (capacity 0).
  Vec(Vec&& other) noexcept {
    Busy busy_other(other);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  // Destroys this Vec's elements and frees its storage, then takes over
  // `other`'s; `other` becomes empty. Self-move does nothing.
  Vec& operator=(Vec&& other) noexcept {
    if (this != &other) {
      Busy busy(*this);
      Busy busy_other(other);
      TruncateLocked(0);
      Deallocate(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;

  // The number of elements.
  size_t size() const { return size_; }
  // True if there are no elements.
  bool empty() const { return size_ == 0; }
  // How many elements fit before the next allocation (Push doubles it, from 4).
  size_t capacity() const { return capacity_; }

  // The element at `i`; panics (a kernel bug) if i >= size().
  T& operator[](size_t i) {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    // SAFETY: i < size_ <= capacity_, and elements [0, size_) are constructed.
    return data_[i];
  }
  // The element at `i`, read-only; panics (a kernel bug) if i >= size().
  const T& operator[](size_t i) const {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    // SAFETY: as above.
    return data_[i];
  }
  // The last element; panics (a kernel bug) if the Vec is empty.
  T& back() { return (*this)[size_ - 1]; }
  // The last element, read-only; panics if the Vec is empty.
  const T& back() const { return (*this)[size_ - 1]; }

  // The elements as a span (empty if there are none); valid until the size or
  // capacity changes.
  std::span<T> span() { return std::span<T>(data_, size_); }
  // The elements as a read-only span; valid until the size or capacity changes.
  std::span<const T> span() const { return std::span<const T>(data_, size_); }
  // Iterators of span(), for range-for (kernel code may not call begin/end
  // itself: the gate's iterator rule). Invalidated like span().
  auto begin() { return span().begin(); }
  // The end of span() (see begin()).
  auto end() { return span().end(); }
  // Read-only begin() (see begin()).
  auto begin() const { return span().begin(); }
  // Read-only end() (see begin()).
  auto end() const { return span().end(); }

  // Makes room for `n` elements in total. ENOMEM leaves the Vec unchanged.
  Status Reserve(size_t n) {
    Busy busy(*this);
    return ReserveLocked(n);
  }

  // Appends `value`. ENOMEM leaves the Vec unchanged.
  Status Push(T value) {
    Busy busy(*this);
    return PushLocked(std::move(value));
  }

  // Inserts `value` before index `i` (i <= size()). ENOMEM leaves it unchanged.
  Status Insert(size_t i, T value) {
    Busy busy(*this);
    if (i > size_) vec_internal::IndexOutOfRange(i, size_);
    OSTD_TRY(PushLocked(std::move(value)));
    for (size_t j = size_ - 1; j > i; --j) std::swap(At(j), At(j - 1));
    return {};
  }

  // Removes the element at `i`, keeping the order of the rest.
  void Erase(size_t i) {
    Busy busy(*this);
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    for (size_t j = i; j + 1 < size_; ++j) std::swap(At(j), At(j + 1));
    PopBackLocked();
  }

  // Destroys the last element; panics (a kernel bug) if the Vec is empty.
  void PopBack() {
    Busy busy(*this);
    PopBackLocked();
  }

  // Grows with value-initialized elements, or shrinks, to `n` elements.
  // ENOMEM leaves the Vec unchanged.
  Status Resize(size_t n)
    requires std::is_default_constructible_v<T>
  {
    Busy busy(*this);
    OSTD_TRY(ReserveLocked(n));
    if constexpr (std::is_trivially_default_constructible_v<T> && std::is_trivially_copyable_v<T>) {
      if (n > size_) {
        // SAFETY: [size_, n) is allocated and unconstructed; zero bytes are
        // the value-initialized state of a trivial T.
        __builtin_memset(static_cast<void*>(&data_[size_]), 0, (n - size_) * sizeof(T));
        size_ = n;
      }
    }
    while (size_ < n) {
      // SAFETY: size_ < n <= capacity_: the slot is allocated and unconstructed.
      new (&data_[size_]) T();
      ++size_;
    }
    TruncateLocked(n);
    return {};
  }

  // Shrinks to `n` elements, destroying the last ones from the back; an n of
  // size() or more does nothing. The capacity stays.
  void Truncate(size_t n) {
    Busy busy(*this);
    TruncateLocked(n);
  }
  // Destroys every element (from the back); the capacity stays allocated.
  void Clear() { Truncate(0); }

  // An element-wise copy (T must be copyable). ENOMEM on failure.
  Result<Vec> Clone() const {
    Busy busy(*this);
    Vec copy;
    OSTD_TRY(copy.Reserve(size_));
    for (size_t i = 0; i < size_; ++i) OSTD_TRY(copy.Push(T(At(i))));
    return copy;
  }

 private:
  // Marks the Vec busy for its lifetime; panics if it already is (a call back
  // into the Vec from an element operation it is running).
  class Busy {
   public:
    explicit Busy(const Vec& v) : v_(v) {
      if (v_.busy_) vec_internal::Reentered();
      v_.busy_ = true;
    }
    ~Busy() { v_.busy_ = false; }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    const Vec& v_;
  };

  T& At(size_t i) const {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    // SAFETY: i < size_ <= capacity_, and elements [0, size_) are constructed.
    return data_[i];
  }

  Status ReserveLocked(size_t n) {
    if (n <= capacity_) return {};
    if (n > SIZE_MAX / sizeof(T)) return Err(Errno::kENOMEM);
    T* fresh = Allocate(n);
    if (fresh == nullptr) return Err(Errno::kENOMEM);
    for (size_t i = 0; i < size_; ++i) {
      // SAFETY: fresh has room for n > size_ elements; data_[i] is constructed
      // and is destroyed right after being moved from.
      new (&fresh[i]) T(std::move(data_[i]));
      data_[i].~T();
    }
    Deallocate(data_);
    data_ = fresh;
    capacity_ = n;
    return {};
  }

  Status PushLocked(T value) {
    if (size_ == capacity_) OSTD_TRY(ReserveLocked(capacity_ == 0 ? 4 : capacity_ * 2));
    // SAFETY: size_ < capacity_: the slot is allocated and unconstructed.
    new (&data_[size_]) T(std::move(value));
    ++size_;
    return {};
  }

  void PopBackLocked() {
    if (size_ == 0) vec_internal::IndexOutOfRange(0, 0);
    --size_;
    // SAFETY: the element at size_ was constructed and is no longer counted.
    data_[size_].~T();
  }

  void TruncateLocked(size_t n) {
    while (size_ > n) PopBackLocked();
  }

  static T* Allocate(size_t n) {
    // SAFETY: raw storage for n elements with T's alignment; elements are
    // constructed one by one with placement new.
    return static_cast<T*>(
        ::operator new(n * sizeof(T), std::align_val_t{alignof(T)}, std::nothrow));
  }
  static void Deallocate(T* p) {
    if (p != nullptr) ::operator delete(p, std::align_val_t{alignof(T)});
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  mutable bool busy_ = false;  // see Busy
};

}  // namespace ostd

#endif  // OSTD_UTIL_VEC_H_
