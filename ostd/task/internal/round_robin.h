// The default scheduler: one run queue per CPU, weighted round robin by
// virtual runtime, as Linux's CFS in miniature. Each timer tick charges the
// running task CPU time weighted by its nice value (Task::nice(); nice 0
// pays kNice0Charge per tick, nice 19 about 68 times more, nice -20 about 87
// times less). A CPU runs the queued task with the least virtual runtime
// (the oldest among equals, so equal tasks take turns as in plain round
// robin); after kSliceTicks ticks the running task is preempted if a queued
// task it could yield to has run less. A queued task's virtual runtime is
// kept within [min - kWakeBonus, min + kMaxLag] of its queue's minimum, so a
// task that slept gets the CPU soon but cannot claim a backlog, and a heavily
// niced one waits at most kMaxLag worth of others' ticks. New and woken
// tasks go to the least loaded CPU they may run on; a yielding or preempted
// task stays on its CPU; a CPU with nothing to run steals from the busiest
// queue.
#ifndef OSTD_TASK_INTERNAL_ROUND_ROBIN_H_
#define OSTD_TASK_INTERNAL_ROUND_ROBIN_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"

#include "ostd/cpu_set.h"
#include "ostd/sync.h"
#include "ostd/task/internal/scheduler.h"

namespace ostd {

class RoundRobinScheduler final : public Scheduler {
 public:
  static constexpr uint64_t kSliceTicks = 2;
  // Virtual runtime a nice-0 task is charged per tick, and the window around
  // a queue's minimum (see the top of this file).
  static constexpr uint64_t kNice0Charge = 1024;
  static constexpr uint64_t kWakeBonus = 2 * kNice0Charge;
  static constexpr uint64_t kMaxLag = 128 * kNice0Charge;
  // The virtual runtime one tick costs a task of nice value `nice` (-20..19).
  static uint64_t TickCharge(int nice);

  constexpr RoundRobinScheduler() = default;

  uint32_t Enqueue(Task& task, EnqueueReason reason) override;
  Task* PickNext(uint32_t cpu) override;
  bool OnTick(uint32_t cpu, Task* current) override;

  // Tasks waiting in `cpu`'s queue (a snapshot).
  uint32_t queued(uint32_t cpu) const {
    return queues_[cpu].length.load(std::memory_order_relaxed);
  }

 private:
  struct Queue {
    SpinLock lock;
    Task* head ABSL_GUARDED_BY(lock) = nullptr;
    Task* tail ABSL_GUARDED_BY(lock) = nullptr;
    std::atomic<uint32_t> length{0};
    std::atomic<bool> busy{false};  // running a task (not idle), per the last pick/tick
    // Never decreases: the virtual runtime of the last task picked here.
    uint64_t min_vruntime ABSL_GUARDED_BY(lock) = 0;
  };
  uint32_t Load(uint32_t cpu) const;
  uint32_t ChooseCpu(const Task& task, EnqueueReason reason) const;
  static void Push(Queue& q, Task& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.lock);
  // Removes the task with the least virtual runtime (the first of equals)
  // whose affinity contains `cpu`, or returns nullptr.
  static Task* PopFor(Queue& q, uint32_t cpu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.lock);

  Queue queues_[kMaxCpus];
};

}  // namespace ostd

#endif  // OSTD_TASK_INTERNAL_ROUND_ROBIN_H_
