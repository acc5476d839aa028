#include "ostd/task/internal/round_robin.h"

#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/task.h"

namespace ostd {

uint32_t RoundRobinScheduler::Load(uint32_t cpu) const {
  const Queue& q = queues_[cpu];
  return q.length.load(std::memory_order_relaxed) +
         (q.busy.load(std::memory_order_relaxed) ? 1 : 0);
}

uint32_t RoundRobinScheduler::ChooseCpu(const Task& task, EnqueueReason reason) const {
  CpuSet allowed = CpuSet::FromBits(task.affinity().bits() & internal::OnlineCpus().bits());
  OSTD_ASSERT(!allowed.empty());
  uint32_t home = task.cpu();
  if ((reason == EnqueueReason::kYield || reason == EnqueueReason::kPreempt) &&
      allowed.Contains(home)) {
    return home;
  }
  // Least loaded; ties go to the CPU the task last ran on (warm cache).
  uint32_t best = kMaxCpus;
  uint32_t best_load = ~0u;
  allowed.ForEach([&](uint32_t c) {
    uint32_t l = Load(c);
    if (l < best_load || (l == best_load && c == home)) {
      best = c;
      best_load = l;
    }
  });
  return best;
}

void RoundRobinScheduler::Push(Queue& q, Task& t) {
  TaskCore::Links(t).next = nullptr;
  if (q.tail == nullptr) {
    q.head = &t;
  } else {
    TaskCore::Links(*q.tail).next = &t;
  }
  q.tail = &t;
  q.length.fetch_add(1, std::memory_order_relaxed);
}

Task* RoundRobinScheduler::PopFor(Queue& q, uint32_t cpu) {
  Task* prev = nullptr;
  for (Task* t = q.head; t != nullptr; prev = t, t = TaskCore::Links(*t).next) {
    if (!t->affinity().Contains(cpu)) continue;
    Task* next = TaskCore::Links(*t).next;
    if (prev == nullptr) {
      q.head = next;
    } else {
      TaskCore::Links(*prev).next = next;
    }
    if (q.tail == t) q.tail = prev;
    TaskCore::Links(*t).next = nullptr;
    q.length.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }
  return nullptr;
}

uint32_t RoundRobinScheduler::Enqueue(Task& task, EnqueueReason reason) {
  uint32_t cpu = ChooseCpu(task, reason);
  TaskCore::Links(task).slice_ticks = 0;
  Queue& q = queues_[cpu];
  SpinLockGuard guard(q.lock);
  Push(q, task);
  return cpu;
}

Task* RoundRobinScheduler::PickNext(uint32_t cpu) {
  Task* t = nullptr;
  {
    Queue& q = queues_[cpu];
    SpinLockGuard guard(q.lock);
    t = PopFor(q, cpu);
  }
  if (t == nullptr) {
    // Steal from the busiest other queue.
    uint32_t victim = kMaxCpus;
    uint32_t most = 0;
    internal::OnlineCpus().ForEach([&](uint32_t c) {
      uint32_t n = queues_[c].length.load(std::memory_order_relaxed);
      if (c != cpu && n > most) {
        victim = c;
        most = n;
      }
    });
    if (victim != kMaxCpus) {
      Queue& v = queues_[victim];
      SpinLockGuard guard(v.lock);
      t = PopFor(v, cpu);
    }
  }
  if (t != nullptr) queues_[cpu].busy.store(true, std::memory_order_relaxed);
  return t;
}

bool RoundRobinScheduler::OnTick(uint32_t cpu, Task* current) {
  Queue& q = queues_[cpu];
  q.busy.store(current != nullptr, std::memory_order_relaxed);
  if (current == nullptr) return false;
  uint64_t used = ++TaskCore::Links(*current).slice_ticks;
  return used >= kSliceTicks && q.length.load(std::memory_order_relaxed) != 0;
}

}  // namespace ostd
