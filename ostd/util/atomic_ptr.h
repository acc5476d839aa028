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

// A std::atomic<T*> restricted to load, store, exchange and compare-exchange
// (see the top of this file). Lock-free; every operation is safe from any CPU
// and any context. Not copyable or movable. Starts as nullptr unless given a
// pointer.
template <typename T>
class AtomicPtr {
 public:
  constexpr AtomicPtr() = default;
  // Starts as nullptr.
  constexpr AtomicPtr(std::nullptr_t) {}
  // Starts as `p` (the caller keeps `p`'s object alive while it may be read).
  explicit constexpr AtomicPtr(T* p) : ptr_(p) {}
  AtomicPtr(const AtomicPtr&) = delete;
  AtomicPtr& operator=(const AtomicPtr&) = delete;

  // The current pointer, read with `order` (std::atomic::load: only relaxed,
  // consume, acquire or seq_cst are valid orders).
  T* load(std::memory_order order = std::memory_order_seq_cst) const { return ptr_.load(order); }
  // Replaces the pointer with `p` (std::atomic::store: only relaxed, release
  // or seq_cst are valid orders).
  void store(T* p, std::memory_order order = std::memory_order_seq_cst) { ptr_.store(p, order); }
  // Replaces the pointer with `p` and returns the old one, atomically.
  T* exchange(T* p, std::memory_order order = std::memory_order_seq_cst) {
    return ptr_.exchange(p, order);
  }
  // If the pointer equals `expected`, replaces it with `desired` and returns
  // true; otherwise stores the current pointer in `expected` and returns
  // false. Never fails spuriously.
  bool compare_exchange_strong(T*& expected, T* desired,
                               std::memory_order order = std::memory_order_seq_cst) {
    return ptr_.compare_exchange_strong(expected, desired, order);
  }

 private:
  std::atomic<T*> ptr_{nullptr};
};

}  // namespace ostd

#endif  // OSTD_UTIL_ATOMIC_PTR_H_
