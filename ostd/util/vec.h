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
}  // namespace vec_internal

template <typename T>
class Vec {
  static_assert(std::is_nothrow_move_constructible_v<T>);

 public:
  Vec() = default;
  ~Vec() {
    Clear();
    Deallocate(data_);
  }
  Vec(Vec&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Vec& operator=(Vec&& other) noexcept {
    if (this != &other) {
      Clear();
      Deallocate(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

  T& operator[](size_t i) {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    // SAFETY: i < size_ <= capacity_, and elements [0, size_) are constructed.
    return data_[i];
  }
  const T& operator[](size_t i) const {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    // SAFETY: as above.
    return data_[i];
  }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  std::span<T> span() { return std::span<T>(data_, size_); }
  std::span<const T> span() const { return std::span<const T>(data_, size_); }
  auto begin() { return span().begin(); }
  auto end() { return span().end(); }
  auto begin() const { return span().begin(); }
  auto end() const { return span().end(); }

  // Makes room for `n` elements in total. ENOMEM leaves the Vec unchanged.
  Status Reserve(size_t n) {
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

  // Appends `value`. ENOMEM leaves the Vec unchanged.
  Status Push(T value) {
    if (size_ == capacity_) OSTD_TRY(Reserve(capacity_ == 0 ? 4 : capacity_ * 2));
    // SAFETY: size_ < capacity_: the slot is allocated and unconstructed.
    new (&data_[size_]) T(std::move(value));
    ++size_;
    return {};
  }

  // Inserts `value` before index `i` (i <= size()). ENOMEM leaves it unchanged.
  Status Insert(size_t i, T value) {
    if (i > size_) vec_internal::IndexOutOfRange(i, size_);
    OSTD_TRY(Push(std::move(value)));
    for (size_t j = size_ - 1; j > i; --j) std::swap((*this)[j], (*this)[j - 1]);
    return {};
  }

  // Removes the element at `i`, keeping the order of the rest.
  void Erase(size_t i) {
    if (i >= size_) vec_internal::IndexOutOfRange(i, size_);
    for (size_t j = i; j + 1 < size_; ++j) std::swap((*this)[j], (*this)[j + 1]);
    PopBack();
  }

  void PopBack() {
    if (size_ == 0) vec_internal::IndexOutOfRange(0, 0);
    --size_;
    // SAFETY: the element at size_ was constructed and is no longer counted.
    data_[size_].~T();
  }

  // Grows with value-initialized elements, or shrinks, to `n` elements.
  // ENOMEM leaves the Vec unchanged.
  Status Resize(size_t n)
    requires std::is_default_constructible_v<T>
  {
    OSTD_TRY(Reserve(n));
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
    Truncate(n);
    return {};
  }

  // Shrinks to `n` elements (n <= size()).
  void Truncate(size_t n) {
    while (size_ > n) PopBack();
  }
  void Clear() { Truncate(0); }

  // An element-wise copy (T must be copyable). ENOMEM on failure.
  Result<Vec> Clone() const {
    Vec copy;
    OSTD_TRY(copy.Reserve(size_));
    for (const T& v : *this) OSTD_TRY(copy.Push(T(v)));
    return copy;
  }

 private:
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
};

}  // namespace ostd

#endif  // OSTD_UTIL_VEC_H_
