// The probe core's shared state (TCB-only): probe points, their users, the
// table the #BP handler looks addresses up in, and the per-CPU state machine.
// probe.cc places and removes breakpoints (task context); probe_trap.cc runs
// the hits (exception context). Both are in the no-probe set.
#ifndef OSTD_PATCH_INTERNAL_PROBE_CORE_H_
#define OSTD_PATCH_INTERNAL_PROBE_CORE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

#include "ostd/boot.h"
#include "ostd/cpu_set.h"
#include "ostd/ksyms.h"
#include "ostd/patch/exec_region.h"
#include "ostd/patch/insn.h"
#include "ostd/patch/probe.h"
#include "ostd/util/ref_ptr.h"

namespace arch {
struct TrapFrame;
}  // namespace arch

namespace ostd::patch::probe_internal {

struct ProbePoint;

// One Breakpoint. Linked into its point's user list (readers: the trap path,
// lock-free; writers: the registry mutex). Freed only after a quiescence wait
// once unlinked.
inline constexpr uint32_t kNoReturnSite = ~uint32_t{0};

struct ProbeUser {
  RefPtr<ProbeHandler> handler;
  // A ReturnProbe's entry user: the index of its ReturnSite (the trap path
  // hooks the return instead of calling `handler`); else kNoReturnSite.
  // Set before the user is published.
  uint32_t return_site = kNoReturnSite;
  // ProbeOptions::after_step. Set before the user is published.
  bool after_step = true;
  ProbePoint* point = nullptr;
  std::atomic<ProbeUser*> next{nullptr};
  std::atomic<bool> enabled{false};
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> missed{0};
};

// One probed address, shared by all its users.
struct ProbePoint {
  Vaddr addr = 0;
  Symbol function{};
  Insn insn{};
  std::array<uint8_t, kMaxInsnLength> original{};  // the instruction's bytes
  std::optional<ExecRegion> slot_region;           // executed-out-of-line slot (kOther only)
  Vaddr slot = 0;                                  // its code address (0 when emulated)
  std::atomic<ProbeUser*> users{nullptr};
  uint32_t user_count = 0;     // registry mutex
  uint32_t enabled_count = 0;  // registry mutex
  bool armed = false;          // registry mutex: int3 (or the fentry call) written
  // On a function's patchable entry (probe.h: the 5-byte nop of
  // patchable_function_entry(5)): armed as `call arch_probe_fentry`, no trap.
  bool fentry = false;
  // Set (under the registry mutex) when the module text the point is in went
  // away (RemoveModuleText): unpublished, never armed again.
  std::atomic<bool> gone{false};

  explicit ProbePoint(std::optional<ExecRegion> region) : slot_region(std::move(region)) {}
};

// The lookup table of the trap path: slots are published with release and
// cleared only after the point's int3 is gone and every CPU is quiescent.
inline constexpr uint64_t kMaxProbePoints = 256;
std::atomic<ProbePoint*>& PointSlot(uint64_t i);
// The number of table slots ever used (the trap path scans below it).
std::atomic<uint64_t>& PointsInUse();

// The point at exactly `addr`, or nullptr. Lock-free; any context.
ProbePoint* FindPoint(Vaddr addr);

// Waits until every other online CPU has been outside the probe machinery
// (not in a handler, not stepping) at least once since the call began. Task
// context, interrupts on.
void WaitForProbeQuiescence();

// One ReturnProbe's state as the trap path sees it. A task's hooked return
// names its site by index and generation: removing a ReturnProbe bumps the
// generation, so a return still outstanding then resumes its caller without
// running a handler that is gone.
struct ReturnSite {
  RefPtr<ReturnProbeHandler> handler;  // registry mutex; dropped only after quiescence
  std::atomic<uint32_t> generation{0};
  std::atomic<bool> live{false};  // handler may run
  bool in_use = false;            // registry mutex: owned by a ReturnProbe
  std::atomic<uint64_t> hooked{0};
  std::atomic<uint64_t> returned{0};
};
inline constexpr uint32_t kMaxReturnSites = 64;
// The sites, indexed by ProbeUser::return_site (probe_return.cc).
extern std::array<ReturnSite, kMaxReturnSites> return_sites;
inline ReturnSite& ReturnSiteAt(uint32_t i) { return return_sites[i]; }

// The address of ostd's return trampoline (an int3 in the no-probe set).
Vaddr ReturnTrampoline();

// At a ReturnProbe's entry hit with `regs` (the probed code at the
// function's first instruction, so [regs.rsp] is its return address): asks
// the site's handler and, if it wants the return, saves the return address
// in the current task's return stack and replaces it with the trampoline.
// Counts `u.missed` when the task's return stack is full. Exception context.
void HookReturn(ProbeUser& u, const ProbeRegs& regs);

// In the return trampoline, with `regs` its frame: pops the current task's
// innermost hooked return whose slot regs.rsp has just returned from
// (dropping stale ones above it) and sets regs.rip to the saved return
// address; returns the site, generation and cookie to report. False (regs
// untouched) when no hooked return matches.
struct PoppedReturn {
  uint32_t site = 0;
  uint32_t generation = 0;
  uint64_t cookie = 0;
  uint64_t ret_addr = 0;     // where f resumes
  uint64_t report_addr = 0;  // the real return address (differs after a tail call)
};
bool PopReturn(ProbeRegs& regs, PoppedReturn& out);

}  // namespace ostd::patch::probe_internal

#endif  // OSTD_PATCH_INTERNAL_PROBE_CORE_H_
