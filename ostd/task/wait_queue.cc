#include "ostd/task/wait_queue.h"

#include "ostd/task/internal/task_core.h"

namespace ostd {

struct WaitQueue::Waiter {
  Task* task = nullptr;
  Waiter* next = nullptr;
};

void WaitQueue::WaitImpl(bool (*cond)(void*), void* arg) {
  for (;;) {
    IrqGuard irq_off;
    Waiter w;
    {
      SpinLockGuard guard(lock_);
      if (cond(arg)) return;
      w.task = task_internal::PrepareToBlock();
      AppendLocked(&w);
    }
    task_internal::BlockCurrent();
  }
}

void WaitQueue::AppendLocked(Waiter* w) {
  w->next = nullptr;
  if (tail_ == nullptr) {
    head_ = w;
  } else {
    tail_->next = w;
  }
  tail_ = w;
}

bool WaitQueue::WakeOne() {
  Task* t = nullptr;
  {
    SpinLockGuard guard(lock_);
    Waiter* w = head_;
    if (w == nullptr) return false;
    head_ = w->next;
    if (head_ == nullptr) tail_ = nullptr;
    // The waiter's entry lives on its stack: read it before it may return.
    t = w->task;
  }
  task_internal::Wake(t);
  return true;
}

int WaitQueue::WakeAll() {
  Waiter* list;
  {
    SpinLockGuard guard(lock_);
    list = head_;
    head_ = nullptr;
    tail_ = nullptr;
  }
  int n = 0;
  while (list != nullptr) {
    // Read next before waking: the woken task's entry may then vanish.
    Waiter* next = list->next;
    task_internal::Wake(list->task);
    list = next;
    ++n;
  }
  return n;
}

bool WaitQueue::empty() const {
  SpinLockGuard guard(lock_);
  return head_ == nullptr;
}

}  // namespace ostd
