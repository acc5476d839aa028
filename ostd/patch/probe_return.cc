// Return probes (probe.h, ReturnProbe): the trampoline, the table of return
// sites, and each task's LIFO of hooked returns. Runs in the #BP handler.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ostd/internal/cpu_local.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/patch/internal/probe_core.h"
#include "ostd/task/task.h"

// The return trampoline (arch/x86_64/trap_entry.S): hooked functions return
// there, and it calls ostd_probe_return_dispatch (probe_trap.cc) without a
// trap.
extern "C" const char ostd_probe_return_trampoline[];

// The return-probe machinery: never probed.
OSTD_NOPROBE_FILE

namespace ostd::patch::probe_internal {

// The current task's hooked returns (Task's private LIFO; only the task
// itself touches it, from its own #BP traps with interrupts off).
struct TaskReturns {
  using Entry = Task::ProbeReturn;
  static constexpr size_t kMax = Task::kMaxProbeReturns;
  static std::array<Entry, kMax>& Entries(Task& t) { return t.probe_returns_; }
  static uint32_t& Depth(Task& t) { return t.probe_return_depth_; }
};

static_assert(TaskReturns::kMax == ReturnProbe::kMaxNestedReturns);

std::array<ReturnSite, kMaxReturnSites> return_sites;

// SAFETY: the address of the asm label above, only compared and stored as
// a return address (never dereferenced by C++).
Vaddr ReturnTrampoline() { return reinterpret_cast<Vaddr>(ostd_probe_return_trampoline); }

void HookReturn(ProbeUser& u, const ProbeRegs& regs) {
  Task* task = internal::RunningTask();
  ReturnSite& site = return_sites[u.return_site];
  if (task == nullptr || !site.live.load(std::memory_order_acquire)) return;
  uint32_t& depth = TaskReturns::Depth(*task);
  // SAFETY: ReturnProbe places its breakpoint only on a function's first
  // byte, which no branch inside the function targets, so this trap is at a
  // call's (or tail call's) entry and [rsp] is the return address the call
  // pushed, in the probed task's own stack (the trap frame is on the
  // separate #BP IST stack). It is read and replaced by ostd only.
  uint64_t* slot = reinterpret_cast<uint64_t*>(regs.rsp);
  // Entries of frames at or below this one on the task's stack are dead
  // (left by a non-local exit such as a caught fault): drop them. Only when
  // both are on the task's own stack (code on an exception stack compares
  // nothing). A slot equal to rsp that still holds the trampoline is a tail
  // call reusing a hooked frame's slot: alive.
  std::array<TaskReturns::Entry, TaskReturns::kMax>& entries = TaskReturns::Entries(*task);
  Vaddr lo = task->stack_bottom();
  Vaddr hi = task->stack_top();
  bool tail_call = *slot == ReturnTrampoline();
  if (lo != 0 && regs.rsp >= lo && regs.rsp < hi) {
    while (depth > 0) {
      uint64_t s = entries[depth - 1].slot;
      bool dead = s >= lo && (s < regs.rsp || (s == regs.rsp && !tail_call));
      if (!dead) break;
      depth--;
    }
  }
  if (depth >= TaskReturns::kMax) {
    u.missed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint32_t generation = site.generation.load(std::memory_order_acquire);
  u.hits.fetch_add(1, std::memory_order_relaxed);
  std::optional<uint64_t> cookie = site.handler->OnEntry(regs);
  if (!cookie) return;
  entries[depth] = TaskReturns::Entry{
      .ret_addr = *slot,
      .slot = regs.rsp,
      .site = u.return_site,
      .generation = generation,
      .cookie = *cookie,
  };
  depth++;
  *slot = ReturnTrampoline();
  site.hooked.fetch_add(1, std::memory_order_relaxed);
}

bool PopReturn(ProbeRegs& regs, PoppedReturn& out) {
  Task* task = internal::RunningTask();
  if (task == nullptr) return false;
  uint32_t& depth = TaskReturns::Depth(*task);
  std::array<TaskReturns::Entry, TaskReturns::kMax>& entries = TaskReturns::Entries(*task);
  // The `ret` popped the slot: rsp is just above it. Entries above the match
  // belong to frames left without returning (dropped).
  for (uint32_t i = depth; i > 0; --i) {
    const TaskReturns::Entry& e = entries[i - 1];
    if (e.slot + 8 != regs.rsp) continue;
    out = PoppedReturn{.site = e.site,
                       .generation = e.generation,
                       .cookie = e.cookie,
                       .ret_addr = e.ret_addr,
                       .report_addr = e.ret_addr};
    // A tail call from a hooked function: this return goes to the
    // trampoline again, for the caller's entry on the same slot; report
    // where the call really returns.
    for (uint32_t j = i - 1; j > 0 && out.report_addr == ReturnTrampoline(); --j) {
      if (entries[j - 1].slot == e.slot) out.report_addr = entries[j - 1].ret_addr;
    }
    depth = i - 1;
    regs.rip = e.ret_addr;
    return true;
  }
  return false;
}

}  // namespace ostd::patch::probe_internal
