#include "ostd/task/wait_queue.h"

namespace ostd {

void WaitQueue::AppendLocked(task_internal::Waiter* w) {
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
    task_internal::Waiter* w = head_;
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
  task_internal::Waiter* list;
  {
    SpinLockGuard guard(lock_);
    list = head_;
    head_ = nullptr;
    tail_ = nullptr;
  }
  int n = 0;
  while (list != nullptr) {
    // Read next before waking: the woken task's entry may then vanish.
    task_internal::Waiter* next = list->next;
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
