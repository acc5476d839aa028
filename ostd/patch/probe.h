// Breakpoints on kernel functions (the capability kprobes is built on).
//
// Kernel code gets no raw text patching. It asks for a breakpoint on a
// function, and ostd decides whether one may go there:
//
//   * the address must lie inside a known function: a kernel text symbol with
//     a size from the link (ostd/ksyms.h), or a function of a loaded module's
//     sealed text that its loader declared with a size (ostd/ffi's
//     ModuleMemory::DeclareEntry); assembly labels without a size, data,
//     user memory and other module memory are refused (EINVAL);
//   * not in the no-probe set (trap entry, the probe core, the decoder, the
//     text patcher, the cross-CPU stop path; listed by ProbeBlacklist()):
//     EINVAL;
//   * at an instruction boundary, found by decoding forward from the
//     function's start (ostd/patch/insn.h) over the original bytes (other
//     breakpoints' int3s are seen through): EILSEQ otherwise;
//   * on an instruction ostd can execute out of line or emulate: EOPNOTSUPP
//     for unprobeable (int3, iret, syscall, hlt, mov to CR/DR, ud2, ...) and
//     unsupported (indirect jmp/call through memory, far branches)
//     instructions.
//
// How a hit runs. The first byte of the instruction becomes int3 (one byte,
// written with every other CPU parked: TextPatcher). The #BP exception runs on
// its own per-CPU IST stack, with interrupts off: the handlers of every
// enabled Breakpoint at the address get a snapshot of the registers
// (ProbeRegs), then the displaced instruction is emulated (jmp/jcc/loop/call
// rel, jmp/call through a register, ret, cli/sti/pushf/popf) or executed from
// an out-of-line slot in ostd-owned executable memory (RIP-relative operands
// fixed up for the slot) followed by an int3 that resumes after the original
// instruction, with interrupts off in between. Then the AfterStep handlers
// run. A breakpoint hit while this CPU is already inside the probe machinery
// (in a handler, or stepping) is counted as missed for every enabled
// Breakpoint there and executes without handlers: never recursion.
//
// Handlers observe; they cannot steer. They receive a const snapshot:
// changing it changes nothing, and the probed code resumes exactly as it
// would have without the breakpoint (same registers, same memory writes by
// the displaced instruction, next instruction or branch target). So a
// breakpoint cannot redirect control flow or alter the probed code's data:
// placing one grants the right to observe registers at a function boundary
// and costs the probed code time. The one exception is ReturnProbe (below):
// ostd itself, not the handler, replaces a call's return address with its
// own trampoline and keeps the real one, so the caller still resumes exactly
// where it would have.
//
// Handler contract: they run in exception context with interrupts off and
// preemption off, on a level of the #BP stack (16 KiB); they must not block
// (a task switch with preemption off panics) nor leave interrupts enabled
// (panics), and may use SpinLocks. Placing or changing breakpoints from a
// handler fails with EBUSY (interrupts are off).
//
// A breakpoint in module text is taken down when the module's memory goes
// (gone() becomes true), before the pages are freed.
//
// Lifetime: a Breakpoint is a move-only handle. When the last Breakpoint at
// an address goes (or the last one is disabled) the original byte is written
// back; when a Breakpoint is destroyed, ostd waits until no CPU is still
// inside its handlers before dropping its reference to the handler. The
// out-of-line slot is freed only after no CPU can be executing it.
#ifndef OSTD_PATCH_PROBE_H_
#define OSTD_PATCH_PROBE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ostd/boot.h"
#include "ostd/ksyms.h"
#include "ostd/result.h"
#include "ostd/scoped_guard.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace ostd::patch {

namespace probe_internal {
struct ProbeUser;  // ostd/patch/internal/probe_core.h
}  // namespace probe_internal

// The probed code's registers, in Linux's x86-64 pt_regs order. `rip` is the
// probed instruction's address (the breakpoint address) in OnHit and the
// address execution resumes at in AfterStep; `orig_rax` is ~0 (not a
// syscall).
struct ProbeRegs {
  uint64_t r15;       // %r15
  uint64_t r14;       // %r14
  uint64_t r13;       // %r13
  uint64_t r12;       // %r12
  uint64_t rbp;       // %rbp
  uint64_t rbx;       // %rbx
  uint64_t r11;       // %r11
  uint64_t r10;       // %r10
  uint64_t r9;        // %r9
  uint64_t r8;        // %r8
  uint64_t rax;       // %rax
  uint64_t rcx;       // %rcx
  uint64_t rdx;       // %rdx
  uint64_t rsi;       // %rsi
  uint64_t rdi;       // %rdi
  uint64_t orig_rax;  // ~0: not a syscall
  uint64_t rip;       // see above: the probed address (OnHit) or the resume address (AfterStep)
  uint64_t cs;        // the kernel code selector
  uint64_t rflags;    // the probed code's flags (IF as it runs)
  uint64_t rsp;       // the probed code's stack pointer
  uint64_t ss;        // the kernel stack selector
};

// What runs at a hit (see the handler contract at the top of this file).
// Derive from it and override what you need; share it with MakeRef.
class OSTD_STORED_OBJECT ProbeHandler : public RefCounted<ProbeHandler> {
 public:
  ProbeHandler() = default;
  // Destroyed when the last RefPtr goes; ostd drops its reference only
  // after no CPU runs the handler any more.
  virtual ~ProbeHandler() = default;
  // Before the probed instruction executes.
  virtual void OnHit(const ProbeRegs& regs);
  // After it executed (or was emulated), before the code resumes.
  virtual void AfterStep(const ProbeRegs& regs);
};

// Where and how to place a Breakpoint.
struct ProbeOptions {
  bool enabled = true;  // armed at once (else: placed disabled; Enable() arms)
  // false: the handler's AfterStep is never called (Linux's kprobe without a
  // post_handler). A hit on a patchable entry whose users all say so runs
  // one pass over the users instead of two.
  bool after_step = true;
};

// One breakpoint user at one kernel address (see the top of this file).
// Move-only; a moved-from Breakpoint owns nothing (address() 0, Enable() and
// Disable() EINVAL, counters 0).
class Breakpoint {
 public:
  // At `symbol` (exact name in the kernel symbol table) + `offset`. ENOENT if
  // no such symbol; EINVAL if the symbol has no size or offset >= its size;
  // then as AtAddress.
  static Result<Breakpoint> AtSymbol(std::string_view symbol, uint64_t offset,
                                     RefPtr<ProbeHandler> handler, ProbeOptions options = {});
  // At `addr`. EINVAL if `handler` is empty, if `addr` is not inside a kernel
  // function with a known size, or in the no-probe set; EILSEQ if not an
  // instruction boundary; EOPNOTSUPP for an instruction that cannot be
  // probed; EINVAL if a RIP-relative operand cannot reach its target from
  // the slot; ENOMEM when memory or probe points run out; EBUSY if called
  // with interrupts disabled or from a probe handler. Task context; may block.
  static Result<Breakpoint> AtAddress(Vaddr addr, RefPtr<ProbeHandler> handler,
                                      ProbeOptions options = {});

  // A Breakpoint that owns nothing (as a moved-from one).
  Breakpoint() = default;
  // Takes over `other`'s breakpoint; `other` becomes moved-from.
  Breakpoint(Breakpoint&& other) noexcept;
  // Removes this breakpoint (as the destructor) and takes over `other`'s.
  Breakpoint& operator=(Breakpoint&& other) noexcept;
  Breakpoint(const Breakpoint&) = delete;
  Breakpoint& operator=(const Breakpoint&) = delete;
  // Removes the breakpoint: restores the original byte if it was the last
  // enabled one at the address, waits until no CPU is in its handlers, frees
  // the slot if it was the last one. Task context with interrupts enabled
  // (destroying one with interrupts off or in a handler panics: a kernel bug).
  ~Breakpoint();

  // Arms (Enable) or disarms (Disable) this user; the int3 is present while
  // at least one user at the address is enabled. Idempotent. EBUSY with
  // interrupts disabled; EINVAL when moved-from; errors of the text patch.
  Status Enable();
  // Disarms this user (see Enable): its handlers stop running; the original
  // byte returns when no user at the address is enabled. Errors as Enable.
  Status Disable();
  // True while enabled.
  bool enabled() const;

  // The probed address (0 when moved-from).
  Vaddr address() const;
  // The function it lies in: its symbol (name, start, size; offset = address
  // - start). Empty name when moved-from.
  Symbol function() const;
  // Hits that ran this user's handlers, and hits while this CPU was already
  // inside the probe machinery (handlers skipped).
  uint64_t hits() const;
  // Hits skipped because this CPU was already inside the probe machinery.
  uint64_t missed() const;
  // True once the module text this breakpoint is in went away (Linux's
  // KPROBE_FLAG_GONE): it runs nothing and Enable() is ENOENT; dropping it
  // is still required (and safe).
  bool gone() const;

 private:
  friend class ReturnProbe;
  explicit Breakpoint(probe_internal::ProbeUser* user) : user_(user) {}
  // AtAddress for a ReturnProbe's entry user when `return_site` is a site
  // index (probe_internal::kNoReturnSite: an ordinary Breakpoint).
  static Result<Breakpoint> Place(Vaddr addr, RefPtr<ProbeHandler> handler, ProbeOptions options,
                                  uint32_t return_site);
  void Remove();

  probe_internal::ProbeUser* user_ = nullptr;
};

// What runs at a ReturnProbe's function entry and at the hooked return.
// Same contract as ProbeHandler (exception context, interrupts and
// preemption off, no blocking). Derive from it; share it with MakeRef.
class OSTD_STORED_OBJECT ReturnProbeHandler : public RefCounted<ReturnProbeHandler> {
 public:
  ReturnProbeHandler() = default;
  // Destroyed when the last RefPtr goes; ostd drops its reference only
  // after no CPU runs the handler any more.
  virtual ~ReturnProbeHandler() = default;
  // At the function's first instruction (`regs.rip` its start, `regs.rsp`
  // the address of the return address). Return a value to have this call's
  // return reported to OnReturn with that value, or nullopt to leave the
  // call alone. Not called (and counted missed) when the current task
  // already has ReturnProbe::kMaxNestedReturns hooked returns outstanding.
  virtual std::optional<uint64_t> OnEntry(const ProbeRegs& regs);
  // When a call hooked by OnEntry returns: `regs.rax` is the return value,
  // `regs.rip` the real return address (where the caller resumes), `regs.rsp`
  // the caller's stack pointer after the return; `cookie` is OnEntry's value.
  // Not called for a call that returns after its ReturnProbe was removed.
  virtual void OnReturn(const ProbeRegs& regs, uint64_t cookie);
};

// A probe on a function's entry that can also observe the function's
// return (what Linux's kretprobes and rethook do). At an entry hit the
// handler's OnEntry decides; if it wants the return, ostd saves the return
// address in the current task's own LIFO of hooked returns (ostd memory the
// kernel cannot reach) and replaces it on the stack with ostd's return
// trampoline, an int3 in the no-probe set. When the function returns there,
// ostd pops the saved address, runs OnReturn, and resumes the caller at the
// saved address. The kernel never supplies or sees a writable return
// address: it can make ostd resume only where the call would have returned.
//
// A return whose ReturnProbe was removed meanwhile still resumes correctly
// (without a handler). A function left without returning (the task exits
// in it) leaves nothing behind: the LIFO belongs to the task; a frame
// abandoned by a non-local exit (a caught fault) is dropped when an outer
// hooked frame returns, or, in a spawned task (whose stack bounds ostd
// knows), at the task's next hooked entry below it. Tasks adopted from a
// boot stack (the boot CPU's first task, idle) have no known bounds: their
// dead entries stay until an outer hooked return, and entry hits past
// kMaxNestedReturns are counted missed (never unsafe). The hooked return is matched by its stack
// slot, so functions must return with a plain `ret` (not `ret imm16`, which C++ on x86-64 does not
// emit). Backtraces taken inside a hooked function show the trampoline as its return address.
//
// Move-only like Breakpoint; moved-from: address() 0, Enable/Disable EINVAL.
class ReturnProbe {
 public:
  // Hooked returns one task may have outstanding at once; deeper entry hits
  // are counted missed (Linux bounds them only by maxactive).
  static constexpr uint32_t kMaxNestedReturns = 32;

  // At the start of `symbol`. ENOENT if no such symbol; then as AtAddress.
  static Result<ReturnProbe> AtSymbol(std::string_view symbol, RefPtr<ReturnProbeHandler> handler,
                                      ProbeOptions options = {});
  // At `addr`, which must be the start of a kernel function with a known
  // size (EINVAL otherwise, as Linux's kretprobe off a function entry), and
  // that no relative branch inside the function jumps back to (EINVAL: there
  // the top of the stack would not be a return address); ENOMEM when the
  // return-probe table (64 sites) is full; otherwise errors as
  // Breakpoint::AtAddress. Task context; may block.
  static Result<ReturnProbe> AtAddress(Vaddr addr, RefPtr<ReturnProbeHandler> handler,
                                       ProbeOptions options = {});

  // A ReturnProbe that owns nothing.
  ReturnProbe() = default;
  // Takes over `other`'s probe; `other` becomes moved-from.
  ReturnProbe(ReturnProbe&& other) noexcept;
  // Removes this probe (as the destructor) and takes over `other`'s.
  ReturnProbe& operator=(ReturnProbe&& other) noexcept;
  ReturnProbe(const ReturnProbe&) = delete;
  ReturnProbe& operator=(const ReturnProbe&) = delete;
  // Removes the entry breakpoint, stops OnReturn for returns still
  // outstanding (they resume their callers normally) and drops the
  // handler once no CPU runs it. Task context with interrupts enabled.
  ~ReturnProbe();

  // Arms / disarms the entry breakpoint (as Breakpoint). Returns already
  // hooked are still reported while disabled.
  Status Enable();
  // See Enable.
  Status Disable();
  // True while enabled.
  bool enabled() const;
  // The function's start (0 when moved-from).
  Vaddr address() const;
  // The function (offset 0).
  Symbol function() const;
  // Entry hits that ran OnEntry.
  uint64_t hits() const;
  // Entry hits not handled: inside the probe machinery, or the task's LIFO
  // of hooked returns full.
  uint64_t missed() const;
  // Returns reported to OnReturn.
  uint64_t returns() const;

 private:
  void Remove();

  Breakpoint entry_;
  uint32_t site_ = ~uint32_t{0};
};

// Patchable entries: a Breakpoint or ReturnProbe at the first byte of a
// function that starts with the 5-byte nop of patchable_function_entry(5) is
// armed as a call to ostd's probe trampoline instead of an int3 (no trap: the
// cost of Linux's ftrace-based kprobes), and the nop comes back on removal.
// Which functions have that nop is the build's choice (build/keel.bzl,
// PATCHABLE_ENTRY_FILES: the syscall adapters and the kernel's other
// Linux-named entry points); probes elsewhere trap.

// True if `addr` is in the no-probe set.
bool IsBlacklisted(Vaddr addr);

// The functions of the no-probe set (name, start, size), in address order.
// ENOMEM if the list cannot be allocated.
Result<Vec<Symbol>> ProbeBlacklist();

// Reads kernel memory [addr, addr + out.size()) into `out` for probe
// fetch arguments. Only the kernel image, the linear map of RAM, the module
// area and the current task's kernel stack are readable (EFAULT for anything
// else: user memory, MMIO, other virtual areas, non-canonical addresses); a
// page that is not mapped is EFAULT too, never a panic. Safe in probe
// handlers (the current task is the probed one).
Status ReadKernelMemory(Vaddr addr, std::span<uint8_t> out);

// Reads the running task's user memory [addr, addr + out.size()) into `out`
// for probe fetch arguments (:ustring, +u dereferences), without handling
// page faults, as Linux's copy_from_user_nofault: a page that is not present
// (not yet touched, swapped, or unmapped) or not readable is EFAULT, and so
// is a range outside the user half or a CPU on the kernel-only page table (a
// kernel task: no user memory is its own). Safe in probe handlers and in any
// context.
Status ReadUserMemory(Vaddr addr, std::span<uint8_t> out);

}  // namespace ostd::patch

#endif  // OSTD_PATCH_PROBE_H_
