// Kernel tasks: threads of kernel execution, each with its own kernel stack.
//
//   Result<TaskRef> t = Spawn([&] { DoWork(); }, TaskOptions().name("worker"));
//   if (!t) return Err(t.error());
//   (*t)->Join();  // may block until DoWork() returned
//
// Ownership: a Task is heap-allocated and reference counted (TaskRef is the
// owning handle). The scheduler holds a reference from Spawn until the task has
// exited and its stack is no longer in use; Spawn's caller gets another. The
// stack and the Task are freed when the last reference goes (if that happens
// with interrupts off, the free is deferred to the next Spawn/Join/ReapTasks).
//
// Stacks come from the kernel virtual area with an unmapped guard page below
// them: an overflow faults instead of corrupting memory.
#ifndef OSTD_TASK_TASK_H_
#define OSTD_TASK_TASK_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ostd/boot.h"
#include "ostd/cpu_set.h"
#include "ostd/panic.h"
#include "ostd/result.h"
#include "ostd/scoped_guard.h"
#include "ostd/task/wait_queue.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace ostd {
namespace vm {
class VmSpace;
}  // namespace vm

class Task;
namespace internal {
class TaskCore;  // TCB-only (ostd/task/internal/task_core.h)
}  // namespace internal
namespace patch::probe_internal {
struct TaskReturns;  // TCB-only (ostd/patch/probe_return.cc)
}  // namespace patch::probe_internal

// An owning, reference-counted handle to a Task (nullptr-able). Only ostd makes
// one from a Task (Spawn); copies take another reference.
class TaskRef {
 public:
  TaskRef() = default;
  // Another reference to `o`'s task (an atomic increment); empty if `o` is.
  TaskRef(const TaskRef& o) : TaskRef(o.task_ == nullptr ? TaskRef() : TaskRef(o.task_)) {}
  // Takes over `o`'s reference; `o` becomes empty.
  TaskRef(TaskRef&& o) noexcept : task_(std::exchange(o.task_, nullptr)) {}
  // Makes this refer to `o`'s task and drops the reference this held (which
  // may free that task; see the file comment). Self-assignment is safe.
  TaskRef& operator=(TaskRef o) {
    std::swap(task_, o.task_);
    return *this;
  }
  ~TaskRef() { Reset(); }

  // Drops the reference (may free the task; see the file comment).
  void Reset();
  // The task (nullptr if empty); valid while this reference is held.
  Task* get() const { return task_; }
  // Member access to the task. On an empty TaskRef: a panic ("empty
  // TaskRef"), never a null dereference.
  Task* operator->() const { return Checked(); }
  // The task. On an empty TaskRef: a panic, as operator->.
  Task& operator*() const { return *Checked(); }
  // True if this refers to a task.
  explicit operator bool() const { return task_ != nullptr; }

 private:
  friend class internal::TaskCore;
  friend struct patch::probe_internal::TaskReturns;
  friend TaskRef CurrentTaskRef();
  // Takes a new reference to `t` (not null).
  explicit TaskRef(Task* t);
  Task* Checked() const {
    if (task_ == nullptr) [[unlikely]]
      OSTD_PANIC("dereferencing an empty TaskRef");
    return task_;
  }

  Task* task_ = nullptr;
};

// A task's name for logs: a copy of at most kMaxLength bytes (a longer name
// is cut), so it never dangles. Plain value type.
class TaskName {
 public:
  // The most bytes a name keeps.
  static constexpr size_t kMaxLength = 31;
  // An empty name.
  constexpr TaskName() = default;
  // A copy of the first kMaxLength bytes of `name`.
  constexpr explicit TaskName(std::string_view name) {
    while (len_ < kMaxLength && len_ < name.size()) {
      chars_[len_] = name[len_];
      ++len_;
    }
  }
  // The name; valid while this object lives.
  constexpr std::string_view view() const { return std::string_view(chars_.data(), len_); }

 private:
  std::array<char, kMaxLength> chars_{};
  size_t len_ = 0;
};

// How to create a task. Chainable setters.
class TaskOptions {
 public:
  // The usable stack a task gets unless stack_size() says otherwise (16 KiB).
  static constexpr size_t kDefaultStackSize = 16 * 1024;

  // CPUs the task may run on (default: all). Must intersect the online CPUs.
  TaskOptions& affinity(CpuSet cpus) {
    affinity_ = cpus;
    return *this;
  }
  // A name for logs (default "task"). It is copied: at most
  // TaskName::kMaxLength bytes are kept (a longer name is cut).
  TaskOptions& name(std::string_view n) {
    name_ = TaskName(n);
    return *this;
  }
  // Usable stack bytes, rounded up to pages (default 16 KiB, at most 64 KiB;
  // 0 or more than 64 KiB makes Spawn fail with EINVAL).
  TaskOptions& stack_size(size_t bytes) {
    stack_size_ = bytes;
    return *this;
  }

  // The CPUs set with affinity() (all kMaxCpus ids by default).
  CpuSet affinity() const { return affinity_; }
  // The name set with name() (as cut), "task" by default; valid while these
  // options live.
  std::string_view name() const { return name_.view(); }
  // The stack size in bytes as set (before rounding up to pages).
  size_t stack_size() const { return stack_size_; }

 private:
  CpuSet affinity_ = CpuSet::FromBits(~uint64_t{0});
  TaskName name_{"task"};
  size_t stack_size_ = kDefaultStackSize;
};

// What a new task runs: an owned, type-erased callable on the heap, run once.
// Move-only; destroying a TaskBody that was never spawned destroys the callable.
class TaskBody {
 public:
  // Moves or copies `fn` (a callable taking no arguments) to the heap.
  // ENOMEM if there is no memory for it.
  template <typename F>
  OSTD_STORES_CALLABLE [[nodiscard]] static Result<TaskBody> Make(F&& fn) {
    auto* c = new (std::nothrow) Impl<F>(std::forward<F>(fn));
    if (c == nullptr) return Err(Errno::kENOMEM);
    return TaskBody(c);
  }

  // An empty body: SpawnBody refuses it (EINVAL).
  TaskBody() = default;
  // Takes over `o`'s callable; `o` becomes empty.
  TaskBody(TaskBody&& o) noexcept : closure_(std::exchange(o.closure_, nullptr)) {}
  // Destroys this body's callable (if any) and takes over `o`'s; `o` becomes
  // empty. Self-move does nothing.
  TaskBody& operator=(TaskBody&& o) noexcept {
    if (this != &o) {
      delete closure_;
      closure_ = std::exchange(o.closure_, nullptr);
    }
    return *this;
  }
  TaskBody(const TaskBody&) = delete;
  TaskBody& operator=(const TaskBody&) = delete;
  ~TaskBody() { delete closure_; }

 private:
  friend class internal::TaskCore;
  friend struct patch::probe_internal::TaskReturns;

  class Closure {
   public:
    virtual ~Closure() = default;
    virtual void Run() = 0;
  };
  template <typename F>
  class Impl final : public Closure {
   public:
    explicit Impl(F&& f) : f_(std::forward<F>(f)) {}
    void Run() override { f_(); }

   private:
    std::decay_t<F> f_;
  };

  explicit TaskBody(Closure* c) : closure_(c) {}

  Closure* closure_ = nullptr;
};

// The scheduler's view of a task's state.
enum class TaskState : uint8_t {
  kRunning,  // on a CPU (or about to be switched to)
  kReady,    // in a run queue
  kBlocked,  // waiting for a Wake (wait queue, mutex, sleep)
  kExited,   // finished; its stack is freed with the last reference
};

// A kernel thread: its stack, state and scheduling data. Made only by Spawn
// (and by ostd for the boot and idle tasks), reached through TaskRef or
// CurrentTask(); not copyable. The accessors may be called from any CPU while
// a reference is held; what they return is a snapshot that may change at once
// unless noted. A Task* or Task& is a borrow for the current call: keep a
// task with a TaskRef (the gate refuses a raw pointer or reference in a
// member, a global or a lambda capture in untrusted code).
class OSTD_HANDLE_OWNED Task {
 public:
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // A number unique to this task for the whole run (from 1, never reused).
  uint64_t id() const { return id_; }
  // The name given in TaskOptions (or "main" / "idle" for tasks ostd made
  // from a boot stack), as cut to TaskName::kMaxLength bytes. Fixed for the
  // task's life; the view is valid while a reference to the task is held.
  std::string_view name() const { return name_.view(); }
  // The CPUs the task may run on (changed only by the task itself, through
  // SetCurrentTaskAffinity).
  CpuSet affinity() const { return CpuSet::FromBits(affinity_.load(std::memory_order_acquire)); }
  // What the scheduler is doing with the task (see TaskState).
  TaskState state() const { return state_.load(std::memory_order_acquire); }
  // True once the task has exited and no CPU uses its stack any more.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  // The CPU the task last ran on (or was queued for).
  uint32_t cpu() const { return cpu_.load(std::memory_order_relaxed); }
  // The task's nice value, -20..19 (0 by default): its share of a CPU it
  // contends for, weighted as Linux's CFS weighs nice values (each step
  // about 1.25x), applied from the next timer tick on.
  int nice() const { return nice_.load(std::memory_order_relaxed); }
  // Sets the nice value (clamped to -20..19). Anyone may call it on any
  // task: it changes only how CPU time is shared, never what a task may do.
  void set_nice(int nice) const;
  // CPU time the task has used, in ns, the running slice included (read
  // from any CPU; a slice that ends during the read may be missed once).
  uint64_t cpu_nanos() const;
  // Timer ticks that found a task running, by where it was.
  struct CpuTicks {
    // In user mode.
    uint64_t user = 0;
    // In the kernel.
    uint64_t system = 0;
  };
  // The ticks that found this task running: how its cpu_nanos() divides
  // into user and system time, sampled kTickHz times a second as Linux's
  // tick-based accounting does (exact per-transition timing would read the
  // TSC twice per system call).
  CpuTicks cpu_ticks() const;
  // [stack_bottom, stack_top): the usable stack; the page below is the guard.
  // Both 0 for a task adopted from a boot stack (the boot CPU's first task, idle).
  Vaddr stack_bottom() const { return stack_base_ == 0 ? 0 : stack_base_ + kGuardSize; }
  // One past the last usable stack byte (0 for an adopted boot-stack task).
  // Fixed for the task's life. Only a number: nothing public reads or writes
  // memory by address.
  Vaddr stack_top() const { return stack_top_; }

  // Waits until the task has finished (returns at once if it has). May block;
  // must not be called by the task itself, or with preemption disabled.
  void Join();

  // Bytes of the unmapped guard page below every spawned task's stack.
  static constexpr size_t kGuardSize = 4096;

 private:
  // Scheduler-private links (reached through TaskCore::Links by the TCB's
  // scheduler policy, which owns them while the task is queued).
  struct SchedLinks {
    Task* next = nullptr;
    uint64_t slice_ticks = 0;
    uint64_t vruntime = 0;  // CPU time weighted by nice (round_robin.h)
  };

  friend class TaskRef;
  friend class internal::TaskCore;
  friend struct patch::probe_internal::TaskReturns;
  friend void SetCurrentVmSpace(RefPtr<vm::VmSpace> space);
  Task() = default;
  ~Task();

  uint64_t id_ = 0;
  TaskName name_{"task"};
  std::atomic<uint64_t> affinity_{0};  // CpuSet bits; changed only by the task itself
  std::atomic<TaskState> state_{TaskState::kRunning};
  // Held by the CPU that runs the task, from the switch to it until the
  // switch away from it is complete (its registers saved).
  std::atomic<bool> on_cpu_{false};
  std::atomic<bool> finished_{false};
  std::atomic<uint32_t> cpu_{0};
  mutable std::atomic<int> nice_{0};  // a scheduling hint: see set_nice
  std::atomic<uint32_t> refs_{1};
  uint64_t saved_rsp_ = 0;
  Vaddr stack_base_ = 0;  // guard page base (0: not owned)
  size_t stack_pages_ = 0;
  Vaddr stack_top_ = 0;
  TaskBody body_;  // empty once the task started running it
  bool is_idle_ = false;
  SchedLinks sched_links_;
  // Sleep list link (SleepFor) and wake-up time.
  Task* sleep_next_ = nullptr;
  uint64_t wake_at_ns_ = 0;
  Task* zombie_next_ = nullptr;
  RefPtr<vm::VmSpace> vm_space_;  // activated when the task is switched to
  // CPU time of finished slices, and when the running slice began (0 while
  // the task is not running). Written by the CPU switching to or from it.
  std::atomic<uint64_t> cpu_ns_{0};
  std::atomic<uint64_t> slice_start_ns_{0};
  // cpu_ticks(): written by the timer tick of the CPU running the task.
  std::atomic<uint64_t> user_ticks_{0};
  std::atomic<uint64_t> system_ticks_{0};
  WaitQueue exit_waiters_;
  // Return addresses that return probes replaced with ostd's trampoline
  // (ostd/patch/probe_return.cc), innermost last; touched only by the task
  // itself, from its own #BP traps.
  struct ProbeReturn {
    uint64_t ret_addr = 0;  // where the hooked function really returns to
    uint64_t slot = 0;      // the stack address that held it
    uint32_t site = 0;      // the return probe's table index
    uint32_t generation = 0;
    uint64_t cookie = 0;  // the handler's value from OnEntry
  };
  static constexpr size_t kMaxProbeReturns = 32;
  std::array<ProbeReturn, kMaxProbeReturns> probe_returns_{};
  uint32_t probe_return_depth_ = 0;
};

// Starts a task running `body`; errors as Spawn, and EINVAL for an empty body.
// `body` is destroyed if the task cannot be created.
[[nodiscard]] Result<TaskRef> SpawnBody(TaskBody body, const TaskOptions& options = TaskOptions());

// Starts a task running fn() (a callable taking no arguments; moved or copied
// into the task) and returns a reference to it; the task may run (and even
// finish) before Spawn returns, on any CPU of its affinity. ENOMEM: no memory
// for the callable, the task or its stack; EINVAL: the affinity has no online
// CPU or the stack size is out of range. Task context, after ostd has started
// the scheduler (always true in KernelMain; earlier is a panic); it may free
// exited tasks (ReapTasks).
template <typename F>
OSTD_STORES_CALLABLE [[nodiscard]] Result<TaskRef> Spawn(
    F&& fn, const TaskOptions& options = TaskOptions()) {
  OSTD_TRY_ASSIGN(TaskBody body, TaskBody::Make(std::forward<F>(fn)));
  return SpawnBody(std::move(body), options);
}

// (Declared again below, with its contract.)
Task* CurrentTask();

// Tasks that are joined before the scope that made them ends, so their
// callables may use that scope's locals by reference (which the gate refuses
// for Spawn, whose task may outlive them). A local variable only
// (OSTD_SCOPED_GUARD: never a member, in a Box or optional, or returned),
// declared after what the callables use, so it is destroyed (and joins)
// first:
//
//   std::atomic<uint64_t> hits{0};
//   ostd::TaskGroup group;
//   for (int i = 0; i < 4; ++i) OSTD_TRY(group.Spawn([&hits] { ++hits; }));
//   group.Join();  // or at the end of the scope
//
// Destroying it may block: task context, no spin lock held.
class OSTD_SCOPED_GUARD TaskGroup final {
 public:
  TaskGroup() : owner_(CurrentTask()) {}
  ~TaskGroup() { Join(); }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Spawns fn() as one more task of the group (see ostd::Spawn; the same
  // errors) and returns a reference to it.
  template <typename F>
  [[nodiscard]] Result<TaskRef> Spawn(F&& fn, const TaskOptions& options = TaskOptions()) {
    CheckOwner();
    OSTD_TRY(tasks_.Reserve(tasks_.size() + 1));
    OSTD_TRY_ASSIGN(TaskRef task, ::ostd::Spawn(std::forward<F>(fn), options));
    static_cast<void>(tasks_.Push(task));  // cannot fail: reserved
    return task;
  }
  // Waits until every task of the group has finished.
  void Join() {
    CheckOwner();
    for (size_t i = 0; i < tasks_.size(); ++i) tasks_[i]->Join();
  }

 private:
  // Only the task that made the group spawns into it and joins it (the
  // list of tasks is that task's alone; another task could grow it under a
  // Join). Panics otherwise.
  void CheckOwner() const;

  Task* owner_ = nullptr;
  Vec<TaskRef> tasks_;
};

// The task running on this CPU (never null once the scheduler is initialised,
// which happens before KernelMain). The pointer stays valid while the caller
// runs; to keep the task longer, take a CurrentTaskRef().
Task* CurrentTask();

// A new reference to the task running on this CPU (an atomic increment; empty
// before the scheduler is initialised), for keeping it past the current call.
TaskRef CurrentTaskRef();

// Lets other ready tasks on this CPU run; returns at once if there is none.
// May block (switches); must not be called with preemption disabled.
void Yield();

// True when the scheduler wants this CPU for another task (the time slice of
// the current one is used up, or a task was woken here). A kernel running
// user code checks it from UserMode::Execute's kernel-event callback (user
// mode is never preempted in place) and calls Yield() once back in the kernel.
bool ShouldYield();

// Binds the calling task to the user address space `space` (nullptr: none)
// and activates it on this CPU. From then on the scheduler activates the
// task's space whenever it switches to the task (and the kernel page table
// for a task with none), so a kernel thread running a user program always
// sees that program's memory. The task holds the reference until it binds
// another space or is destroyed, so a bound space outlives the caller's handles.
void SetCurrentVmSpace(RefPtr<vm::VmSpace> space);

// Blocks the calling task for at least `ns` nanoseconds (timer-tick
// granularity: 1/timer::kTickHz). May block; not with preemption disabled.
void SleepFor(uint64_t ns);

// Restricts the calling task to `cpus` (which must contain an online CPU; else
// EINVAL and nothing changes). If the current CPU is not in `cpus`, the task
// moves before this returns. May block (switches); not with preemption disabled.
[[nodiscard]] Status SetCurrentTaskAffinity(CpuSet cpus);

// Frees tasks whose last reference was dropped with interrupts off. Called
// automatically by Spawn and Join; call with interrupts enabled.
void ReapTasks();

}  // namespace ostd

#endif  // OSTD_TASK_TASK_H_
