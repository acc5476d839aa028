// Return probes (probe.h, ReturnProbe): the trampoline, the table of return
// sites, and each task's LIFO of hooked returns. Runs in the #BP handler.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "arch/x86_64/trap_frame.h"
#include "ostd/internal/noprobe.h"
#include "ostd/patch/internal/probe_core.h"
#include "ostd/task/task.h"

// The return trampoline: hooked functions return here. It builds the frame
// a #BP here would have made (rsp just above the popped slot), calls
// ostd_probe_return_dispatch (probe_trap.cc) with interrupts off, which runs
// the return handler and sets the frame's rip to the caller's real return
// address, and resumes there with every register and rflags restored: no
// trap (Linux's rethook trampoline). In the no-probe set, so no breakpoint
// can be placed on it.
asm(R"(
  .pushsection .text.noprobe, "ax", @progbits
  .globl ostd_probe_return_trampoline
  .type ostd_probe_return_trampoline, @function
ostd_probe_return_trampoline:
  pushq $0                      // ss
  pushq $0                      // rsp
  pushfq                        // rflags
  cli
  pushq $0                      // cs
  pushq $0                      // rip
  pushq $0                      // error code
  pushq $3                      // vector: #BP
  pushq %rax
  pushq %rbx
  pushq %rcx
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rbp
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  leaq 176(%rsp), %rax
  movq %rax, 160(%rsp)          // rsp: just above the popped return slot
  leaq ostd_probe_return_trampoline(%rip), %rax
  movq %rax, 136(%rsp)
  movl %cs, %eax
  movq %rax, 144(%rsp)
  movl %ss, %eax
  movq %rax, 168(%rsp)
  movq %rsp, %rdi
  movq %rsp, %rbx               // rbx is restored from the frame below
  andq $-16, %rsp
  cld
  call ostd_probe_return_dispatch
  movq %rbx, %rsp
  // Resume at the frame's rip and rsp: rip and rflags go just below the
  // target rsp (the dead return slot and the word under it; they may be the
  // frame's own rsp and ss words, read first), and the vector word, popped
  // last, holds where they are.
  movq 160(%rsp), %rax
  movq 136(%rsp), %rcx
  movq 152(%rsp), %rdx
  movq %rcx, -8(%rax)
  movq %rdx, -16(%rax)
  subq $16, %rax
  movq %rax, 120(%rsp)
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx
  popq %rbx
  popq %rax
  movq (%rsp), %rsp             // the vector word: the frame's rsp - 16
  popfq                         // interrupts as they were
  ret
  .size ostd_probe_return_trampoline, . - ostd_probe_return_trampoline
  .popsection
)");

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

namespace {

std::array<ReturnSite, kMaxReturnSites> sites;

}  // namespace

ReturnSite& ReturnSiteAt(uint32_t i) { return sites[i]; }

// SAFETY: the address of the asm label above, only compared and stored as
// a return address (never dereferenced by C++).
Vaddr ReturnTrampoline() { return reinterpret_cast<Vaddr>(ostd_probe_return_trampoline); }

void HookReturn(ProbeUser& u, arch::TrapFrame& f, const ProbeRegs& regs) {
  Task* task = CurrentTask();
  ReturnSite& site = sites[u.return_site];
  if (task == nullptr || !site.live.load(std::memory_order_acquire)) return;
  uint32_t& depth = TaskReturns::Depth(*task);
  // SAFETY: ReturnProbe places its breakpoint only on a function's first
  // byte, which no branch inside the function targets, so this trap is at a
  // call's (or tail call's) entry and [rsp] is the return address the call
  // pushed, in the probed task's own stack (the trap frame is on the
  // separate #BP IST stack). It is read and replaced by ostd only.
  uint64_t* slot = reinterpret_cast<uint64_t*>(f.rsp);
  // Entries of frames at or below this one on the task's stack are dead
  // (left by a non-local exit such as a caught fault): drop them. Only when
  // both are on the task's own stack (code on an exception stack compares
  // nothing). A slot equal to rsp that still holds the trampoline is a tail
  // call reusing a hooked frame's slot: alive.
  std::array<TaskReturns::Entry, TaskReturns::kMax>& entries = TaskReturns::Entries(*task);
  Vaddr lo = task->stack_bottom();
  Vaddr hi = task->stack_top();
  bool tail_call = *slot == ReturnTrampoline();
  if (lo != 0 && f.rsp >= lo && f.rsp < hi) {
    while (depth > 0) {
      uint64_t s = entries[depth - 1].slot;
      bool dead = s >= lo && (s < f.rsp || (s == f.rsp && !tail_call));
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
      .slot = f.rsp,
      .site = u.return_site,
      .generation = generation,
      .cookie = *cookie,
  };
  depth++;
  *slot = ReturnTrampoline();
  site.hooked.fetch_add(1, std::memory_order_relaxed);
}

bool PopReturn(arch::TrapFrame& f, PoppedReturn& out) {
  Task* task = CurrentTask();
  if (task == nullptr) return false;
  uint32_t& depth = TaskReturns::Depth(*task);
  std::array<TaskReturns::Entry, TaskReturns::kMax>& entries = TaskReturns::Entries(*task);
  // The `ret` popped the slot: rsp is just above it. Entries above the match
  // belong to frames left without returning (dropped).
  for (uint32_t i = depth; i > 0; --i) {
    const TaskReturns::Entry& e = entries[i - 1];
    if (e.slot + 8 != f.rsp) continue;
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
    f.rip = e.ret_addr;
    return true;
  }
  return false;
}

}  // namespace ostd::patch::probe_internal
