// AtomicPtr<T>: an atomic, non-owning pointer without arithmetic.
//
// Kernel code may publish a pointer to another CPU (which wait queue a thread
// sleeps on, which task runs it) but may not use std::atomic<T*>, whose
// fetch_add/fetch_sub and ++/-- are pointer arithmetic. This wrapper offers
// only load, store, exchange and compare-exchange: it moves pointers that were
// made safely (`&object`, RefPtr::get()) and never makes new ones.
//
// Lifetime is the caller's, as for any raw pointer: publish only pointers to
// objects that outlive every reader (or that readers pin by other means).
#ifndef OSTD_UTIL_ATOMIC_PTR_H_
#define OSTD_UTIL_ATOMIC_PTR_H_

#include <atomic>
#include <cstddef>

namespace ostd {

template <typename T>
class AtomicPtr {
 public:
  constexpr AtomicPtr() = default;
  constexpr AtomicPtr(std::nullptr_t) {}
  explicit constexpr AtomicPtr(T* p) : ptr_(p) {}
  AtomicPtr(const AtomicPtr&) = delete;
  AtomicPtr& operator=(const AtomicPtr&) = delete;

  T* load(std::memory_order order = std::memory_order_seq_cst) const { return ptr_.load(order); }
  void store(T* p, std::memory_order order = std::memory_order_seq_cst) { ptr_.store(p, order); }
  T* exchange(T* p, std::memory_order order = std::memory_order_seq_cst) {
    return ptr_.exchange(p, order);
  }
  bool compare_exchange_strong(T*& expected, T* desired,
                               std::memory_order order = std::memory_order_seq_cst) {
    return ptr_.compare_exchange_strong(expected, desired, order);
  }

 private:
  std::atomic<T*> ptr_{nullptr};
};

}  // namespace ostd

#endif  // OSTD_UTIL_ATOMIC_PTR_H_
