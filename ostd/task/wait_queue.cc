#include "ostd/task/wait_queue.h"

#include "arch/x86_64/cpu.h"
#include "ostd/panic.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/preempt.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"

namespace ostd {

struct WaitQueue::Waiter {
  Task* task = nullptr;
  Waiter* next = nullptr;
};

WaitQueue::~WaitQueue() {
  uint64_t spin_deadline = 0;
  for (;;) {
    bool queued = false;
    {
      SpinLockGuard guard(lock_);
      queued = head_ != nullptr;
    }
    if (queued) OSTD_PANIC("WaitQueue destroyed while a task waits on it");
    // Woken waiters still re-check their condition under lock_: wait for them
    // to leave WaitImpl (they are runnable, so they do).
    if (inside_.load(std::memory_order_acquire) == 0) return;
    if (Preemptible()) {
      Yield();
    } else {
      uint64_t now = timer::NowNanos();
      if (spin_deadline == 0) spin_deadline = now + 100'000'000;
      if (now > spin_deadline) {
        OSTD_PANIC(
            "WaitQueue destroyed while a woken task is still leaving Wait (and the "
            "destroying code cannot block)");
      }
      arch::Pause();
    }
  }
}

void WaitQueue::WaitImpl(bool (*cond)(void*), void* arg) {
  inside_.fetch_add(1, std::memory_order_relaxed);
  for (;;) {
    {
      IrqGuard irq_off;
      Waiter w;
      {
        SpinLockGuard guard(lock_);
        if (cond(arg)) break;
        w.task = task_internal::PrepareToBlock();
        AppendLocked(&w);
      }
      task_internal::BlockCurrent();
    }
  }
  // The last access to this queue: the destructor may free it right after.
  inside_.fetch_sub(1, std::memory_order_release);
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
