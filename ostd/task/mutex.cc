#include "ostd/task/mutex.h"

#include "arch/x86_64/cpu.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/panic.h"
#include "ostd/task/task.h"

namespace ostd {

void Mutex::Lock() {
  Task* self = CurrentTask();
  OSTD_ASSERT(self != nullptr);
  // A Mutex may sleep: taking one under a SpinLock (or with preemption off)
  // is a bug even when the mutex happens to be free, so report it always.
  if (internal::PreemptCount() != 0 || !arch::InterruptsEnabled()) {
    OSTD_PANIC("Mutex::Lock in task {} with preemption or interrupts disabled (count {})",
               self->id(), internal::PreemptCount());
  }
  IrqGuard irq_off;
  task_internal::Waiter w;
  {
    SpinLockGuard guard(lock_);
    Task* owner = owner_.load(std::memory_order_relaxed);
    if (owner == nullptr) {
      owner_.store(self, std::memory_order_relaxed);
      return;
    }
    if (owner == self) OSTD_PANIC("Mutex::Lock: task {} already holds the mutex", self->id());
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
  OSTD_ASSERT(owner_.load(std::memory_order_acquire) == self);
}

bool Mutex::TryLock() {
  Task* self = CurrentTask();
  OSTD_ASSERT(self != nullptr);
  SpinLockGuard guard(lock_);
  if (owner_.load(std::memory_order_relaxed) != nullptr) return false;
  owner_.store(self, std::memory_order_relaxed);
  return true;
}

void Mutex::Unlock() {
  Task* next = nullptr;
  {
    SpinLockGuard guard(lock_);
    OSTD_ASSERT(owner_.load(std::memory_order_relaxed) == CurrentTask());
    task_internal::Waiter* w = head_;
    if (w != nullptr) {
      head_ = w->next;
      if (head_ == nullptr) tail_ = nullptr;
      next = w->task;  // read before the waiter may run and drop its entry
    }
    owner_.store(next, std::memory_order_release);
  }
  if (next != nullptr) task_internal::Wake(next);
}

bool Mutex::HeldByCurrentTask() const {
  return owner_.load(std::memory_order_acquire) == CurrentTask();
}

}  // namespace ostd
