// Deferred work: a callable that interrupt handlers schedule and a kernel
// task runs, so handlers stay short.
//
//   OSTD_TRY_ASSIGN(ostd::DeferredWork work,
//                   ostd::DeferredWork::Create([dev] { dev->DrainCompletions(); }));
//   OSTD_TRY(line.Bind([&w = work] { w.Schedule(); }));  // in the IRQ handler
//
// Each DeferredWork owns one kernel task (named as given) that sleeps until
// Schedule() is called and then runs the callable once, in task context
// (interrupts on, preemptible, may block). Schedules that arrive before the
// run starts are merged into it (the callable must drain everything pending,
// not one item); a Schedule() during a run makes the task run it again
// afterwards, so no request is lost. Runs never overlap.
#ifndef OSTD_TASK_DEFERRED_WORK_H_
#define OSTD_TASK_DEFERRED_WORK_H_

#include <atomic>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "ostd/result.h"
#include "ostd/scoped_guard.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"

namespace ostd {

// An owned work item and its task (see the top of this file). Move-only.
// Dropping it waits for a running callable to return, stops the task (work
// scheduled but not started is dropped) and destroys the callable; that may
// block, so drop it in task context, never from the callable itself (which
// would wait for itself: a deadlock) and after unbinding any IrqLine whose
// handler schedules it.
class DeferredWork final {
 public:
  // Makes the work item and starts its task. ENOMEM: no memory for the
  // callable, the state or the task. Task context.
  template <typename F>
    requires std::is_invocable_r_v<void, std::decay_t<F>&>
  OSTD_STORES_CALLABLE [[nodiscard]] static Result<DeferredWork> Create(
      F&& fn, const char* name = "deferred") {
    auto* state = new (std::nothrow) StateImpl<std::decay_t<F>>(std::forward<F>(fn));
    if (state == nullptr) return Err(Errno::kENOMEM);
    return Start(state, name);
  }

  // Takes over `other`'s work item; `other` becomes empty (Schedule does
  // nothing on it).
  DeferredWork(DeferredWork&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), task_(std::move(other.task_)) {}
  // Drops this work item (as the destructor), then takes over `other`'s.
  DeferredWork& operator=(DeferredWork&& other) noexcept;
  DeferredWork(const DeferredWork&) = delete;
  DeferredWork& operator=(const DeferredWork&) = delete;
  // Stops the task and destroys the callable (see the class comment).
  ~DeferredWork();

  // Requests one run. Lock-free apart from the wait queue's spin lock: any
  // context, interrupt handlers included. Does nothing on an empty item.
  void Schedule() const;

  // How many times the callable has returned (a snapshot).
  uint64_t runs() const;

 private:
  struct State {
    virtual ~State() = default;
    virtual void Run() = 0;
    std::atomic<bool> pending{false};
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> runs{0};
    WaitQueue wq;
  };
  template <typename F>
  struct StateImpl final : State {
    explicit StateImpl(F&& f) : fn(std::move(f)) {}
    explicit StateImpl(const F& f) : fn(f) {}
    void Run() override { fn(); }
    F fn;
  };

  DeferredWork(State* state, TaskRef task) : state_(state), task_(std::move(task)) {}
  // Spawns the task for `state` (taking ownership of it; freed on failure).
  static Result<DeferredWork> Start(State* state, const char* name);
  static void Loop(State* state);
  void Reset();

  State* state_ = nullptr;
  TaskRef task_;
};

static_assert(!std::is_trivially_copyable_v<DeferredWork>);

}  // namespace ostd

#endif  // OSTD_TASK_DEFERRED_WORK_H_
