#include "ostd/task/mutex.h"

#include "arch/x86_64/cpu.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/panic.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/task.h"

namespace ostd {

struct Mutex::Waiter {
  Task* task = nullptr;
  Waiter* next = nullptr;
};

namespace {

uintptr_t Word(Task* t) {
  // SAFETY: only the address is kept (it names the owner); it is never turned
  // back into a pointer that is dereferenced.
  return reinterpret_cast<uintptr_t>(t);
}

}  // namespace

Mutex::~Mutex() {
  uintptr_t v = owner_.load(std::memory_order_acquire);
  if (v != 0) {
    bool mine = (v & ~kWaitersBit) == Word(CurrentTask());
    OSTD_PANIC("Mutex destroyed while held ({}{})",
               mine ? "by the destroying task" : "by another task",
               (v & kWaitersBit) != 0 ? ", with tasks waiting" : "");
  }
}

void Mutex::Lock() {
  Task* self = CurrentTask();
  OSTD_ASSERT(self != nullptr);
  // A Mutex may sleep: taking one under a SpinLock (or with preemption off)
  // is a bug even when the mutex happens to be free, so report it always.
  if (internal::PreemptCount() != 0 || !arch::InterruptsEnabled()) {
    OSTD_PANIC("Mutex::Lock in task {} with preemption or interrupts disabled (count {})",
               self->id(), internal::PreemptCount());
  }
  uintptr_t expected = 0;
  if (owner_.compare_exchange_strong(expected, Word(self), std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
    return;
  }
  LockSlow(self);
}

void Mutex::LockSlow(Task* self) {
  IrqGuard irq_off;
  Waiter w;
  {
    SpinLockGuard guard(lock_);
    for (;;) {
      uintptr_t v = owner_.load(std::memory_order_relaxed);
      if (v == 0) {
        // Freed meanwhile (no waiters: the bit is never set without an owner).
        if (owner_.compare_exchange_weak(v, Word(self), std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
          return;
        }
        continue;
      }
      if ((v & ~kWaitersBit) == Word(self)) {
        OSTD_PANIC("Mutex::Lock: task {} already holds the mutex", self->id());
      }
      // Announce a waiter, so that the owner's Unlock() takes the slow path
      // (which needs lock_, held here until this task is queued).
      if ((v & kWaitersBit) != 0 ||
          owner_.compare_exchange_weak(v, v | kWaitersBit, std::memory_order_relaxed)) {
        break;
      }
    }
    w.task = task_internal::PrepareToBlock();
    w.next = nullptr;
    if (tail_ == nullptr) {
      head_ = &w;
    } else {
      tail_->next = &w;
    }
    tail_ = &w;
  }
  task_internal::BlockCurrent();
  // Unlock() made us the owner before waking us (handoff).
  OSTD_ASSERT((owner_.load(std::memory_order_acquire) & ~kWaitersBit) == Word(self));
}

bool Mutex::TryLock() {
  Task* self = CurrentTask();
  OSTD_ASSERT(self != nullptr);
  uintptr_t expected = 0;
  return owner_.compare_exchange_strong(expected, Word(self), std::memory_order_acquire,
                                        std::memory_order_relaxed);
}

void Mutex::Unlock() {
  uintptr_t self = Word(CurrentTask());
  uintptr_t expected = self;
  if (owner_.compare_exchange_strong(expected, 0, std::memory_order_release,
                                     std::memory_order_relaxed)) {
    return;
  }
  OSTD_ASSERT((expected & ~kWaitersBit) == self);
  UnlockSlow();
}

void Mutex::UnlockSlow() {
  Task* next = nullptr;
  {
    SpinLockGuard guard(lock_);
    Waiter* w = head_;
    if (w != nullptr) {
      head_ = w->next;
      if (head_ == nullptr) tail_ = nullptr;
      next = w->task;  // read before the waiter may run and drop its entry
    }
    // Hand over directly, keeping the bit while others still wait.
    uintptr_t word = next == nullptr ? 0 : Word(next) | (head_ != nullptr ? kWaitersBit : 0);
    owner_.store(word, std::memory_order_release);
  }
  if (next != nullptr) task_internal::Wake(next);
}

bool Mutex::HeldByCurrentTask() const {
  return (owner_.load(std::memory_order_acquire) & ~kWaitersBit) == Word(CurrentTask());
}

}  // namespace ostd
