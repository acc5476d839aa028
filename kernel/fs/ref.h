// Intrusive reference counting for shared file-system objects (inodes, open
// files, pipes). Objects are created with MakeRef (fallible: null on ENOMEM)
// and deleted when the last RefPtr goes.
#ifndef KERNEL_FS_REF_H_
#define KERNEL_FS_REF_H_

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

namespace kernel::fs {

class RefCounted {
 public:
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;
  void AddRef() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  // True if this dropped the last reference (the caller deletes).
  bool Release() const { return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  uint32_t ref_count() const { return refs_.load(std::memory_order_relaxed); }
  virtual ~RefCounted() = default;

 protected:
  RefCounted() = default;

 private:
  mutable std::atomic<uint32_t> refs_{0};
};

template <typename T>
class RefPtr {
 public:
  RefPtr() = default;
  RefPtr(std::nullptr_t) {}  // implicit on purpose
  explicit RefPtr(T* p) : p_(p) {
    if (p_ != nullptr) p_->AddRef();
  }
  RefPtr(const RefPtr& o) : RefPtr(o.p_) {}
  RefPtr(RefPtr&& o) : p_(std::exchange(o.p_, nullptr)) {}
  template <typename U>
  RefPtr(const RefPtr<U>& o) : RefPtr(o.get()) {}  // implicit on purpose
  RefPtr& operator=(RefPtr o) {
    std::swap(p_, o.p_);
    return *this;
  }
  ~RefPtr() { Reset(); }

  void Reset() {
    T* p = std::exchange(p_, nullptr);
    if (p != nullptr && p->Release()) delete p;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(const RefPtr& a, const RefPtr& b) { return a.p_ == b.p_; }
  friend bool operator==(const RefPtr& a, std::nullptr_t) { return a.p_ == nullptr; }

 private:
  T* p_ = nullptr;
};

// Allocates a T with one reference owned by the result; null if out of memory.
template <typename T, typename... Args>
RefPtr<T> MakeRef(Args&&... args) {
  return RefPtr<T>(new (std::nothrow) T(std::forward<Args>(args)...));
}

}  // namespace kernel::fs

#endif  // KERNEL_FS_REF_H_
