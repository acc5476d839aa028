// The trap side of the probe API: kernel-mode #BP and #DB, the per-CPU probe
// state machine, emulation of the displaced instructions, out-of-line steps.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/trap_frame.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/noprobe.h"
#include "ostd/internal/probe_hooks.h"
#include "ostd/internal/sched_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/patch/internal/probe_core.h"
#include "ostd/patch/internal/text_patcher.h"

// The breakpoint machinery itself: never probed.
OSTD_NOPROBE_FILE

namespace ostd::patch::probe_internal {
namespace {

constexpr uint64_t kTf = uint64_t{1} << 8;
constexpr uint64_t kIf = uint64_t{1} << 9;
constexpr uint64_t kRf = uint64_t{1} << 16;
constexpr uint64_t kZf = uint64_t{1} << 6;
// The flags popf may change in ring 0 (CF PF AF ZF SF TF IF DF OF IOPL NT AC ID).
constexpr uint64_t kPopfMask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 |
                               0x3000 | 0x4000 | 0x40000 | 0x200000;

// Where one CPU is in the probe machinery.
enum class Phase : uint8_t {
  kIdle,      // not inside
  kHandling,  // running handlers (OnHit or AfterStep)
  kStepping,  // executing a displaced instruction in its slot (interrupts off)
};

struct alignas(64) CpuState {
  Phase phase = Phase::kIdle;
  ProbePoint* point = nullptr;  // the point being handled or stepped
  uint64_t saved_if = 0;        // the probed code's IF while stepping
  // A hit inside a handler (missed) is stepped without handlers; the
  // interrupted handler's state waits here.
  bool nested = false;
  Phase outer_phase = Phase::kIdle;
  ProbePoint* outer_point = nullptr;
  uint64_t outer_if = 0;
  // Odd while this CPU is inside (from the first trap of a hit to the end of
  // its step); WaitForProbeQuiescence watches it.
  std::atomic<uint64_t> seq{0};
};

CpuState states[kMaxCpus];
std::atomic<ProbePoint*> table[kMaxProbePoints];
std::atomic<uint64_t> in_use{0};
std::atomic<uint64_t> stray_debug{0};

CpuState& ThisState() { return states[internal::ThisCpu().cpu_id]; }

// Lowers (+1) or restores (-1) this CPU's #BP IST stack by one level, so a
// breakpoint taken while handlers run does not overwrite this trap's frame.
void ShiftIst(int direction) {
  internal::CpuLocal& c = internal::ThisCpu();
  uint64_t top = c.descriptors.tss.ist[arch::kIstBreakpoint - 1];
  if (direction > 0) {
    top -= internal::kProbeStackLevelSize;
  } else {
    top += internal::kProbeStackLevelSize;
  }
  c.descriptors.tss.ist[arch::kIstBreakpoint - 1] = top;
}

ProbeRegs Snapshot(const arch::TrapFrame& f, uint64_t rip) {
  return ProbeRegs{f.r15, f.r14,        f.r13, f.r12, f.rbp,    f.rbx, f.r11,
                   f.r10, f.r9,         f.r8,  f.rax, f.rcx,    f.rdx, f.rsi,
                   f.rdi, ~uint64_t{0}, rip,   f.cs,  f.rflags, f.rsp, f.ss};
}

uint64_t& Reg(arch::TrapFrame& f, uint8_t n) {
  switch (n & 15) {
    case 0:
      return f.rax;
    case 1:
      return f.rcx;
    case 2:
      return f.rdx;
    case 3:
      return f.rbx;
    case 4:
      return f.rsp;
    case 5:
      return f.rbp;
    case 6:
      return f.rsi;
    case 7:
      return f.rdi;
    case 8:
      return f.r8;
    case 9:
      return f.r9;
    case 10:
      return f.r10;
    case 11:
      return f.r11;
    case 12:
      return f.r12;
    case 13:
      return f.r13;
    case 14:
      return f.r14;
    default:
      return f.r15;
  }
}

// The stack accesses of an emulated call/ret/pushf/popf: exactly the access
// the displaced instruction itself makes, at the probed code's rsp.
void Push(arch::TrapFrame& f, uint64_t value) {
  f.rsp -= 8;
  // SAFETY: the probed kernel code's own stack slot below rsp, which the
  // emulated instruction (call, pushf) would write; the trap frame lives on
  // the separate #BP IST stack, so nothing of ours is there.
  *reinterpret_cast<uint64_t*>(f.rsp) = value;
}

uint64_t Pop(arch::TrapFrame& f) {
  // SAFETY: the probed code's top of stack, which the emulated instruction
  // (ret, popf) would read.
  uint64_t v = *reinterpret_cast<const uint64_t*>(f.rsp);
  f.rsp += 8;
  return v;
}

// Executes the displaced instruction's effect on the frame.
void Emulate(const ProbePoint& p, arch::TrapFrame& f) {
  const Insn& i = p.insn;
  uint64_t next = p.addr + i.length;
  uint64_t target = next + static_cast<uint64_t>(static_cast<int64_t>(i.rel));
  switch (i.kind) {
    case InsnKind::kJmpRel:
      f.rip = target;
      return;
    case InsnKind::kJccRel:
      f.rip = ConditionHolds(i.cond, f.rflags) ? target : next;
      return;
    case InsnKind::kLoopRel: {
      bool taken;
      if (i.opcode == 0xe3) {  // jrcxz
        taken = f.rcx == 0;
      } else {
        f.rcx -= 1;
        bool zf = (f.rflags & kZf) != 0;
        taken = f.rcx != 0 && (i.opcode == 0xe2 || (i.opcode == 0xe1 ? zf : !zf));
      }
      f.rip = taken ? target : next;
      return;
    }
    case InsnKind::kCallRel:
      Push(f, next);
      f.rip = target;
      return;
    case InsnKind::kRet: {
      uint64_t ret = Pop(f);
      f.rsp += i.imm;
      f.rip = ret;
      return;
    }
    case InsnKind::kJmpReg:
      f.rip = Reg(f, i.reg);
      return;
    case InsnKind::kCallReg: {
      uint64_t dest = Reg(f, i.reg);  // read before the push (call *%rsp)
      Push(f, next);
      f.rip = dest;
      return;
    }
    case InsnKind::kCli:
      f.rflags &= ~kIf;
      f.rip = next;
      return;
    case InsnKind::kSti:
      f.rflags |= kIf;
      f.rip = next;
      return;
    case InsnKind::kPushf:
      Push(f, f.rflags & ~(kRf | kTf));
      f.rip = next;
      return;
    case InsnKind::kPopf: {
      uint64_t v = Pop(f);
      f.rflags = (f.rflags & ~kPopfMask) | (v & kPopfMask) | 2;
      f.rip = next;
      return;
    }
    case InsnKind::kOther:
    case InsnKind::kUnsupported:
    case InsnKind::kUnprobeable:
      break;
  }
  // Points are created only for the kinds above or with a slot.
  __builtin_trap();
}

// Runs the OnHit (`entry`: at the probed instruction, before the step) or
// AfterStep handlers of p's enabled users. For the OnHit pass, returns
// whether an enabled user wants its AfterStep.
bool RunHandlers(ProbePoint& p, const ProbeRegs& regs, bool entry) {
  bool after_step = false;
  // On the #BP stack: no task switch (blocking panics) and no interrupts.
  internal::PreemptDisable();
  for (ProbeUser* u = p.users.load(std::memory_order_acquire); u != nullptr;
       u = u->next.load(std::memory_order_acquire)) {
    if (!u->enabled.load(std::memory_order_relaxed)) continue;
    if (u->return_site != kNoReturnSite) {
      if (entry) HookReturn(*u, regs);
    } else if (!entry) {
      if (u->after_step) u->handler->AfterStep(regs);
    } else {
      u->hits.fetch_add(1, std::memory_order_relaxed);
      u->handler->OnHit(regs);
      after_step = after_step || u->after_step;
    }
  }
  if (arch::InterruptsEnabled()) {
    OSTD_PANIC("a probe handler at {:#x} enabled interrupts", p.addr);
  }
  internal::PreemptEnable();
  return after_step;
}

void CountMissed(ProbePoint& p) {
  for (ProbeUser* u = p.users.load(std::memory_order_acquire); u != nullptr;
       u = u->next.load(std::memory_order_acquire)) {
    if (u->enabled.load(std::memory_order_relaxed)) {
      u->missed.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

// The displaced instruction has taken effect and `f` resumes after it.
void Finish(CpuState& s, ProbePoint& p, arch::TrapFrame& f) {
  if (s.nested) {  // a missed hit: back to the interrupted handler
    s.nested = false;
    s.phase = s.outer_phase;
    s.point = s.outer_point;
    s.saved_if = s.outer_if;
    return;
  }
  s.phase = Phase::kHandling;
  ShiftIst(+1);
  RunHandlers(p, Snapshot(f, f.rip), /*entry=*/false);
  ShiftIst(-1);
  s.phase = Phase::kIdle;
  s.point = nullptr;
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // even: outside
}

void StartStep(CpuState& s, ProbePoint& p, arch::TrapFrame& f) {
  if (p.slot != 0) {
    s.phase = Phase::kStepping;
    s.point = &p;
    s.saved_if = f.rflags & kIf;
    f.rflags &= ~kIf;  // no interrupt (or preemption) while in the slot
    f.rip = p.slot;
    return;
  }
  Emulate(p, f);
  Finish(s, p, f);
}

// A hooked return reached the trampoline, whose frame is `regs`: resume the
// caller at the saved address (regs.rip) and report the return to its
// site's handler, if it still has one.
bool HandleReturn(CpuState& s, ProbeRegs& regs) {
  PoppedReturn r;
  if (s.phase != Phase::kIdle) {
    // Inside a handler (no hooks are made there, so not expected): resume,
    // unreported.
    return PopReturn(regs, r);
  }
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // odd: inside
  s.phase = Phase::kHandling;
  if (!PopReturn(regs, r)) {  // no hooked return here: a broken invariant
    s.phase = Phase::kIdle;
    s.seq.fetch_add(1, std::memory_order_seq_cst);
    return false;
  }
  ReturnSite& site = ReturnSiteAt(r.site);
  if (site.live.load(std::memory_order_acquire) &&
      site.generation.load(std::memory_order_acquire) == r.generation) {
    ShiftIst(+1);
    internal::PreemptDisable();
    site.returned.fetch_add(1, std::memory_order_relaxed);
    // The handler sees the real return address as rip (it differs from
    // where the frame resumes after a tail call); the frame is its snapshot.
    regs.rip = r.report_addr;
    site.handler->OnReturn(regs, r.cookie);
    regs.rip = r.ret_addr;
    if (arch::InterruptsEnabled()) {
      OSTD_PANIC("a return probe handler at {:#x} enabled interrupts", r.ret_addr);
    }
    internal::PreemptEnable();
    ShiftIst(-1);
  }
  s.phase = Phase::kIdle;
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // even: outside
  return true;
}

}  // namespace

std::atomic<ProbePoint*>& PointSlot(uint64_t i) { return table[i]; }
std::atomic<uint64_t>& PointsInUse() { return in_use; }

ProbePoint* FindPoint(Vaddr addr) {
  uint64_t n = in_use.load(std::memory_order_acquire);
  for (uint64_t i = 0; i < n && i < kMaxProbePoints; ++i) {
    ProbePoint* p = table[i].load(std::memory_order_acquire);
    if (p != nullptr && p->addr == addr) return p;
  }
  return nullptr;
}

void WaitForProbeQuiescence() {
  CpuSet cpus = internal::OnlineCpus();
  uint32_t self = internal::ThisCpu().cpu_id;
  for (uint32_t c = 0; c < kMaxCpus; ++c) {
    if (c == self || !cpus.Contains(c)) continue;
    uint64_t seen = states[c].seq.load(std::memory_order_seq_cst);
    if ((seen & 1) == 0) continue;
    while (states[c].seq.load(std::memory_order_seq_cst) == seen) arch::Pause();
  }
}

}  // namespace ostd::patch::probe_internal

namespace ostd::internal {

using patch::probe_internal::CpuState;
using patch::probe_internal::Phase;
using patch::probe_internal::ProbePoint;

bool HandleKernelBreakpoint(arch::TrapFrame& f) {
  Vaddr addr = f.rip - 1;
  CpuState& s = patch::probe_internal::ThisState();
  // The int3 after a slot's instruction: the step is done.
  if (s.phase == Phase::kStepping && s.point != nullptr &&
      addr == s.point->slot + s.point->insn.length) {
    ProbePoint& p = *s.point;
    f.rip = p.addr + p.insn.length;
    f.rflags = (f.rflags & ~patch::probe_internal::kIf) | s.saved_if;
    patch::probe_internal::Finish(s, p, f);
    return true;
  }
  ProbePoint* p = patch::probe_internal::FindPoint(addr);
  if (p == nullptr) {
    // Not (or no longer) a probe's. If the byte is not int3 any more, the
    // breakpoint was removed: run the original instruction.
    uint8_t byte = 0;
    if (patch::TextPatcher::Read(addr, std::span<uint8_t>(&byte, 1)).has_value() && byte != 0xcc) {
      f.rip = addr;
      return true;
    }
    return false;
  }
  if (s.phase != Phase::kIdle) {
    // Inside the probe machinery already: a hit in a handler is missed and
    // stepped without handlers; anything else is a broken invariant (the
    // caller reports the unhandled #BP).
    if (s.phase != Phase::kHandling || s.nested) return false;
    patch::probe_internal::CountMissed(*p);
    s.outer_phase = s.phase;
    s.outer_point = s.point;
    s.outer_if = s.saved_if;
    s.nested = true;
    patch::probe_internal::StartStep(s, *p, f);
    return true;
  }
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // odd: inside
  s.phase = Phase::kHandling;
  s.point = p;
  patch::probe_internal::ShiftIst(+1);
  patch::probe_internal::RunHandlers(*p, patch::probe_internal::Snapshot(f, addr), /*entry=*/true);
  patch::probe_internal::ShiftIst(-1);
  patch::probe_internal::StartStep(s, *p, f);
  return true;
}

void HandleKernelDebug(arch::TrapFrame& f) {
  // Probes never single-step. Clear a stray TF and resume (RF suppresses an
  // instruction breakpoint on the same instruction).
  f.rflags = (f.rflags & ~patch::probe_internal::kTf) | patch::probe_internal::kRf;
  patch::probe_internal::stray_debug.fetch_add(1, std::memory_order_relaxed);
}

void ProbeFaultFixup(arch::TrapFrame& f) {
  CpuState& s = patch::probe_internal::ThisState();
  if (s.phase != Phase::kStepping || s.point == nullptr) return;
  ProbePoint& p = *s.point;
  if (f.rip < p.slot || f.rip >= p.slot + p.insn.length) return;
  // The displaced instruction faulted in its slot: report (and retry) it at
  // its own address, with the probed code's IF.
  f.rip = p.addr;
  f.rflags = (f.rflags & ~patch::probe_internal::kIf) | s.saved_if;
  if (s.nested) {
    s.nested = false;
    s.phase = s.outer_phase;
    s.point = s.outer_point;
    s.saved_if = s.outer_if;
  } else {
    s.phase = Phase::kIdle;
    s.point = nullptr;
    s.seq.fetch_add(1, std::memory_order_seq_cst);
  }
}

}  // namespace ostd::internal

// The frame both probe trampolines (arch/x86_64/trap_entry.S) build is a
// ProbeRegs, so handlers read it in place instead of a copy; the offsets the
// assembly uses:
static_assert(sizeof(ostd::patch::ProbeRegs) == 21 * 8);
static_assert(offsetof(ostd::patch::ProbeRegs, rdi) == 112);
static_assert(offsetof(ostd::patch::ProbeRegs, orig_rax) == 120);
static_assert(offsetof(ostd::patch::ProbeRegs, rip) == 128);
static_assert(offsetof(ostd::patch::ProbeRegs, cs) == 136);
static_assert(offsetof(ostd::patch::ProbeRegs, rflags) == 144);
static_assert(offsetof(ostd::patch::ProbeRegs, rsp) == 152);
static_assert(offsetof(ostd::patch::ProbeRegs, ss) == 160);

// A probe reached through a patchable entry's call (arch_probe_fentry, with
// interrupts off and `frame` on the probed task's stack, rip the probed
// byte): the same handlers as a #BP at that byte, then the "step" of the
// displaced nop, which is nothing. A hit inside the probe machinery is
// missed; a call whose point is gone (disarmed while this CPU was on its way
// in) is a nop. The trampoline restores registers and rflags from the frame
// and returns past the call (rip is not read back).
extern "C" void arch_probe_fentry_dispatch(ostd::patch::ProbeRegs* frame) {
  using ostd::patch::probe_internal::CpuState;
  using ostd::patch::probe_internal::Phase;
  using ostd::patch::probe_internal::ProbePoint;
  ostd::patch::ProbeRegs& regs = *frame;
  ostd::Vaddr addr = regs.rip;
  ProbePoint* p = ostd::patch::probe_internal::FindPoint(addr);
  if (p == nullptr || !p->fentry) return;
  CpuState& s = ostd::patch::probe_internal::ThisState();
  if (s.phase != Phase::kIdle) {
    ostd::patch::probe_internal::CountMissed(*p);
    return;
  }
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // odd: inside
  s.phase = Phase::kHandling;
  s.point = p;
  // One preemption-off region for both passes (each pass's own release is
  // then a plain decrement).
  ostd::internal::PreemptDisable();
  if (ostd::patch::probe_internal::RunHandlers(*p, regs, /*entry=*/true)) {
    // The displaced nop has "run": the after-step handlers see rip past it.
    regs.rip = addr + p->insn.length;
    ostd::patch::probe_internal::RunHandlers(*p, regs, /*entry=*/false);
  }
  ostd::internal::PreemptEnable();
  s.phase = Phase::kIdle;
  s.point = nullptr;
  s.seq.fetch_add(1, std::memory_order_seq_cst);  // even: outside
}

// A hooked function returned into ostd_probe_return_trampoline (probe_return.cc)
// with `frame` built on its stack, interrupts off: report the return and
// point the frame's rip at the caller's real return address, where the
// trampoline resumes. No record of the return is a broken invariant (there
// is nowhere to resume).
extern "C" void ostd_probe_return_dispatch(ostd::patch::ProbeRegs* frame) {
  if (!ostd::patch::probe_internal::HandleReturn(ostd::patch::probe_internal::ThisState(),
                                                 *frame)) {
    OSTD_PANIC("a return into the probe trampoline with no hooked return recorded (rsp {:#x})",
               frame->rsp);
  }
}

namespace ostd::internal {

uint64_t StrayDebugTraps() {
  return patch::probe_internal::stray_debug.load(std::memory_order_relaxed);
}

}  // namespace ostd::internal
