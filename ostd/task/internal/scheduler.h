// The scheduler policy interface (TCB-only): which ready task runs where.
// ostd's task core (context switches, blocking, sleeping, preemption) calls it;
// RoundRobinScheduler is the one policy in use.
//
// Scheduler policy stays inside the TCB: a policy holds raw Task pointers and
// the tasks' intrusive queue links, runs with interrupts off in the timer
// interrupt, and decides which stack the CPU switches to. A policy that
// returned a task twice, a task that is not ready, one outside its affinity or
// a freed one would corrupt the task core, and validating every answer would
// mean tracking every queued task a second time. So there is no public
// injection: kernels choose among policies ostd provides.
//
// Locking: every method may be called on any CPU, with interrupts off and from
// interrupt handlers, concurrently with the other CPUs: an implementation
// protects its queues with SpinLocks and must never block or call back into the
// task API (Yield, Wake, Spawn...).
#ifndef OSTD_TASK_INTERNAL_SCHEDULER_H_
#define OSTD_TASK_INTERNAL_SCHEDULER_H_

#include <cstdint>

#include "ostd/result.h"

namespace ostd {

class Task;

enum class EnqueueReason : uint8_t {
  kSpawn,    // a new task
  kWake,     // woken from a wait queue, mutex or sleep
  kYield,    // the task yielded
  kPreempt,  // its time slice ran out
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // Puts a ready task (state kReady, not running on any CPU) in the queue of
  // one of the CPUs in task.affinity() that are online, and returns that CPU
  // (the framework wakes it if it is idle). The task is the scheduler's until
  // PickNext returns it; it may use TaskCore::Links(task).
  virtual uint32_t Enqueue(Task& task, EnqueueReason reason) = 0;

  // Removes and returns the next task `cpu` (the calling CPU) should run, or
  // nullptr if there is none for it. The result's affinity must contain `cpu`.
  virtual Task* PickNext(uint32_t cpu) = 0;

  // A timer tick on `cpu` (the calling CPU, in its timer interrupt) while
  // `current` runs (nullptr: the CPU is idle). Returns true to ask for the
  // current task to be preempted as soon as it is preemptible.
  virtual bool OnTick(uint32_t cpu, Task* current) = 0;
};

// The scheduler in use.
Scheduler& CurrentScheduler();

}  // namespace ostd

#endif  // OSTD_TASK_INTERNAL_SCHEDULER_H_
