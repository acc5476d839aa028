// Task objects: creation with a guard-paged stack, reference counting,
// destruction, Join.
#include "ostd/task/task.h"

#include <atomic>
#include <new>

#include "arch/x86_64/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/smp/internal/tlb.h"
#include "ostd/task/internal/task_core.h"
#include "ostd/task/preempt.h"
#include "ostd/vm/vm_space.h"  // ~Task drops its VmSpace reference

extern "C" void arch_task_trampoline();

namespace ostd {

namespace internal {
// zombies != nullptr, readable without the lock (a hint: ReapTasks re-checks).
std::atomic<bool> zombies_waiting{false};
}  // namespace internal

namespace {

using mm::kPageSize;

constexpr size_t kMaxStackPages = 16;  // 64 KiB

std::atomic<uint64_t> next_id{1};

// Tasks whose last reference was dropped where they could not be freed.
SpinLock zombie_lock;
Task* zombies ABSL_GUARDED_BY(zombie_lock) = nullptr;

// Unmaps and frees pages [va + kPageSize, va + (pages+1) * kPageSize) (those
// that are mapped), flushing every CPU's TLB before the frames are reused,
// then frees the virtual range with its guard page.
void FreeStack(Vaddr va, size_t pages) {
  Paddr frames[kMaxStackPages];
  size_t n = 0;
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    for (size_t i = 0; i < pages; ++i) {
      Result<internal::Mapping> m = internal::KernelPageTable().Unmap(va + (i + 1) * kPageSize);
      if (m) frames[n++] = m->paddr;
    }
  }
  {
    // CallOnCpus must not see this CPU switch tasks in the middle.
    PreemptGuard no_preempt;
    mm::TlbFlusher flusher(internal::OnlineCpus());
    flusher.Issue(mm::TlbFlushOp::Range(va + kPageSize, va + (pages + 1) * kPageSize));
    for (size_t i = 0; i < n; ++i) flusher.DeferFree(frames[i], 1);
    flusher.Dispatch();
  }
  internal::FreeKernelVirtual(va, (pages + 1) * kPageSize);
}

// A stack of `pages` mapped pages above one unmapped guard page; returns the
// guard page's address.
Result<Vaddr> AllocStack(size_t pages) {
  OSTD_TRY_ASSIGN(Vaddr va, internal::AllocKernelVirtual((pages + 1) * kPageSize));
  mm::PageFlags rw{.writable = true, .global = true};
  for (size_t i = 0; i < pages; ++i) {
    Result<Paddr> f = mm::FrameAllocOptions().usage(mm::FrameUsage::kKernelStack).AllocOne();
    if (!f) {
      FreeStack(va, i);
      return Err(f.error());
    }
    Status mapped;
    {
      SpinLockGuard guard(internal::KernelPageTableLock());
      mapped = internal::KernelPageTable().Map(va + (i + 1) * kPageSize, *f, kPageSize, rw);
    }
    if (!mapped) {
      mm::FreeFrames(*f, 1);
      FreeStack(va, i);
      return Err(mapped.error());
    }
  }
  return va;
}

}  // namespace

TaskRef::TaskRef(Task* t) : task_(t) { t->refs_.fetch_add(1, std::memory_order_relaxed); }

void TaskRef::Reset() {
  if (task_ != nullptr) TaskCore::Release(std::exchange(task_, nullptr));
}

Task::~Task() = default;

void TaskGroup::CheckOwner() const {
  if (CurrentTask() != owner_) {
    OSTD_PANIC("TaskGroup used by task {} but made by task {}", CurrentTask()->id(),
               owner_ == nullptr ? 0 : owner_->id());
  }
}

void Task::Join() {
  OSTD_ASSERT(this != CurrentTask());
  exit_waiters_.Wait([this] { return finished(); });
  ReapTasks();
}

Result<Task*> TaskCore::Create(TaskBody body, const TaskOptions& options, bool idle) {
  size_t pages = (options.stack_size() + kPageSize - 1) / kPageSize;
  if (body.closure_ == nullptr || pages == 0 || pages > kMaxStackPages ||
      (options.affinity().bits() & internal::OnlineCpus().bits()) == 0) {
    return Err(Errno::kEINVAL);
  }
  Task* t = new (std::nothrow) Task();
  if (t == nullptr) return Err(Errno::kENOMEM);
  t->body_ = std::move(body);
  t->id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  t->name_ = TaskName(options.name());
  t->affinity_.store(options.affinity().bits(), std::memory_order_relaxed);
  t->is_idle_ = idle;
  Result<Vaddr> stack = AllocStack(pages);
  if (!stack) {
    delete t;
    return Err(stack.error());
  }
  t->stack_base_ = *stack;
  t->stack_pages_ = pages;
  t->stack_top_ = *stack + (pages + 1) * kPageSize;
  // The initial frame arch_context_switch pops: r15, r14, r13, r12, rbx, rbp
  // (all zero), then the return address, arch_task_trampoline.
  constexpr size_t kFrameWords = 7;
  Vaddr frame = t->stack_top_ - 16 - kFrameWords * 8;
  // SAFETY: [frame, stack_top) lies in the stack pages just mapped writable,
  // which nothing else references yet.
  auto* words = reinterpret_cast<uint64_t*>(frame);
  for (size_t i = 0; i < kFrameWords - 1; ++i) words[i] = 0;
  // SAFETY: a function address, the return target of the first switch.
  words[kFrameWords - 1] = reinterpret_cast<uint64_t>(&arch_task_trampoline);
  t->saved_rsp_ = frame;
  t->state_.store(TaskState::kReady, std::memory_order_relaxed);
  return t;
}

Task* TaskCore::Adopt(bool idle) {
  Task* t = new Task();  // boot time: panics if out of memory
  t->id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  t->name_ = TaskName(idle ? "idle" : "main");
  t->affinity_.store(uint64_t{1} << internal::ThisCpu().cpu_id, std::memory_order_relaxed);
  t->cpu_.store(internal::ThisCpu().cpu_id, std::memory_order_relaxed);
  t->is_idle_ = idle;
  t->on_cpu_.store(true, std::memory_order_relaxed);
  t->state_.store(TaskState::kRunning, std::memory_order_relaxed);
  return t;
}

void TaskCore::Destroy(Task* t) {
  OSTD_ASSERT(!t->on_cpu_.load(std::memory_order_acquire));
  if (t->stack_base_ != 0) FreeStack(t->stack_base_, t->stack_pages_);
  delete t;
}

void TaskCore::Release(Task* t) {
  if (t->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (Preemptible()) {
    Destroy(t);
    ReapTasks();
    return;
  }
  SpinLockGuard guard(zombie_lock);
  ZombieNext(t) = zombies;
  zombies = t;
  internal::zombies_waiting.store(true, std::memory_order_release);
}

void ReapTasks() {
  if (!Preemptible()) return;
  Task* list;
  {
    SpinLockGuard guard(zombie_lock);
    list = zombies;
    zombies = nullptr;
    internal::zombies_waiting.store(false, std::memory_order_relaxed);
  }
  while (list != nullptr) {
    Task* next = TaskCore::ZombieNext(list);
    TaskCore::Destroy(list);
    list = next;
  }
}

Result<TaskRef> SpawnBody(TaskBody body, const TaskOptions& options) {
  ReapTasks();
  OSTD_ASSERT(internal::SchedulerActive());
  OSTD_TRY_ASSIGN(Task * t, TaskCore::Create(std::move(body), options, /*idle=*/false));
  // One reference for the scheduler (dropped after exit), one for the caller.
  TaskRef handle = TaskCore::RefOf(t);
  task_internal::Enqueue(*t, EnqueueReason::kSpawn);
  return handle;
}

}  // namespace ostd
