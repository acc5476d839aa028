#include "ostd/task/internal/round_robin.h"

#include <array>

#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/task.h"

namespace ostd {

namespace {

// Linux's sched_prio_to_weight: the weight of nice -20..19 (nice 0: 1024).
constexpr std::array<uint64_t, 40> kNiceWeight = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,  335,  272,  215,
    172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,   15};

}  // namespace

uint64_t RoundRobinScheduler::TickCharge(int nice) {
  size_t i = static_cast<size_t>((nice < -20 ? -20 : (nice > 19 ? 19 : nice)) + 20);
  return kNice0Charge * 1024 / kNiceWeight[i];
}

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
  Task* best = nullptr;
  Task* best_prev = nullptr;
  Task* prev = nullptr;
  for (Task* t = q.head; t != nullptr; prev = t, t = TaskCore::Links(*t).next) {
    if (!t->affinity().Contains(cpu)) continue;
    if (best == nullptr || TaskCore::Links(*t).vruntime < TaskCore::Links(*best).vruntime) {
      best = t;
      best_prev = prev;
    }
  }
  if (best == nullptr) return nullptr;
  Task* next = TaskCore::Links(*best).next;
  if (best_prev == nullptr) {
    q.head = next;
  } else {
    TaskCore::Links(*best_prev).next = next;
  }
  if (q.tail == best) q.tail = best_prev;
  TaskCore::Links(*best).next = nullptr;
  q.length.fetch_sub(1, std::memory_order_relaxed);
  return best;
}

uint32_t RoundRobinScheduler::Enqueue(Task& task, EnqueueReason reason) {
  uint32_t cpu = ChooseCpu(task, reason);
  auto& links = TaskCore::Links(task);
  links.slice_ticks = 0;
  Queue& q = queues_[cpu];
  SpinLockGuard guard(q.lock);
  // Into this queue's window: a new task starts at the minimum, a waking one
  // up to kWakeBonus before it; nobody more than kMaxLag after it (a task
  // from another CPU's queue, or a heavily niced one).
  uint64_t floor = q.min_vruntime;
  if (reason != EnqueueReason::kSpawn) floor = floor > kWakeBonus ? floor - kWakeBonus : 0;
  if (links.vruntime < floor) links.vruntime = floor;
  if (links.vruntime > q.min_vruntime + kMaxLag) links.vruntime = q.min_vruntime + kMaxLag;
  Push(q, task);
  return cpu;
}

Task* RoundRobinScheduler::PickNext(uint32_t cpu) {
  Task* t = nullptr;
  {
    Queue& q = queues_[cpu];
    SpinLockGuard guard(q.lock);
    t = PopFor(q, cpu);
    if (t != nullptr && TaskCore::Links(*t).vruntime > q.min_vruntime) {
      q.min_vruntime = TaskCore::Links(*t).vruntime;
    }
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
  auto& links = TaskCore::Links(*current);
  links.vruntime += TickCharge(current->nice());
  uint64_t used = ++links.slice_ticks;
  if (used < kSliceTicks || q.length.load(std::memory_order_relaxed) == 0) return false;
  // Preempt only for a queued task that could run here and has run less.
  SpinLockGuard guard(q.lock);
  for (Task* t = q.head; t != nullptr; t = TaskCore::Links(*t).next) {
    if (t->affinity().Contains(cpu) && TaskCore::Links(*t).vruntime < links.vruntime) return true;
  }
  return false;
}

}  // namespace ostd
