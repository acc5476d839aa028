// The default scheduler: one FIFO run queue per CPU, round robin with a time
// slice of kSliceTicks timer ticks. New and woken tasks go to the least loaded
// CPU they may run on; a yielding or preempted task stays on its CPU; a CPU
// with nothing to run steals the oldest task it may run from the busiest queue.
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
  };
  uint32_t Load(uint32_t cpu) const;
  uint32_t ChooseCpu(const Task& task, EnqueueReason reason) const;
  static void Push(Queue& q, Task& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.lock);
  // Removes the first task whose affinity contains `cpu`, or nullptr.
  static Task* PopFor(Queue& q, uint32_t cpu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.lock);

  Queue queues_[kMaxCpus];
};

}  // namespace ostd

#endif  // OSTD_TASK_INTERNAL_ROUND_ROBIN_H_
