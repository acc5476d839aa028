// kretprobes: Linux's return probes, on ostd's ReturnProbe capability
// (ostd/patch/probe.h). Derive from Kretprobe, override EntryHandler and/or
// ReturnHandler, and register it at a function's start:
//
//   class OpenRet : public kernel::kprobes::Kretprobe {
//     void ReturnHandler(KretprobeInstance& ri, const Regs& regs) override {
//       ... regs.rax (the return value), ri.ret_addr, ri.data ...
//     }
//   };
//   OSTD_TRY_ASSIGN(ostd::RefPtr<OpenRet> rp, ostd::MakeRef<OpenRet>());
//   OSTD_TRY(kernel::kprobes::RegisterKretprobe(rp, {.symbol = "do_sys_openat2"}));
//
// Each call of the function that enters while the probe is enabled takes an
// instance from the kretprobe's pool of maxactive (Linux's default
// max(10, 2 * CPUs) when 0); with none free the hit is counted in nmissed()
// and the call's return is not reported. Instances of one task nest LIFO
// (recursion works); ostd keeps the real return addresses, so a handler
// cannot change where the function returns to. Unregistering while calls are
// still inside the function is safe: they return to their callers normally
// and their ReturnHandler does not run.
//
// Errors, as Linux's register_kretprobe: those of RegisterKprobe, and
// EINVAL for a site that is not a function's start (offset != 0, or an
// address inside a function) or whose start a branch in the function jumps
// back to; EINVAL for maxactive above kMaxActive; ENOMEM when the pool or
// ostd's return-probe table cannot be had.
#ifndef KERNEL_KPROBES_KRETPROBE_H_
#define KERNEL_KPROBES_KRETPROBE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "kernel/kprobes/kprobes.h"
#include "ostd/ksyms.h"
#include "ostd/patch/probe.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace kernel::kprobes {

// One hooked call, from its entry to its return.
struct KretprobeInstance {
  uint64_t task_id = 0;            // the task that made the call
  uint64_t entry_sp = 0;           // rsp at entry (where the return address was)
  uint64_t ret_addr = 0;           // at return: where the call returned to
  std::array<uint64_t, 4> data{};  // the handlers' own per-call data (Linux's data_size)
};

// A kretprobe. Override the handlers; register with RegisterKretprobe.
class Kretprobe : public ostd::patch::ReturnProbeHandler {
 public:
  // Largest maxactive accepted (Linux: KRETPROBE_MAXACTIVE_MAX).
  static constexpr uint32_t kMaxActive = 4096;

  // `maxactive` 0: Linux's default, max(10, 2 * online CPUs), fixed when
  // registered.
  explicit Kretprobe(uint32_t maxactive = 0) : maxactive_(maxactive) {}

  // At the function's entry, with a fresh instance (data zeroed). Return
  // false to give the instance back and not report this call's return
  // (Linux's entry_handler returning nonzero).
  virtual bool EntryHandler(KretprobeInstance& ri, const Regs& regs);
  // At the call's return: regs.rax is the return value, regs.rip the return
  // address. The instance is freed afterwards.
  virtual void ReturnHandler(KretprobeInstance& ri, const Regs& regs);

  // The pool size (the requested one, or the default once registered).
  uint32_t maxactive() const { return maxactive_; }
  // The function probed (empty name unless registered).
  ostd::Symbol function() const { return rp_.function(); }
  uint64_t address() const { return rp_.address(); }
  // Entry hits that ran the entry path (an instance taken or missed).
  uint64_t nhit() const { return rp_.hits(); }
  // Entry hits whose return is not reported: no free instance, a hit inside
  // another probe's handler, or the task's nesting limit
  // (ReturnProbe::kMaxNestedReturns). Kept across unregistration.
  uint64_t nmissed() const;
  // Instances taken and not yet returned.
  uint32_t outstanding() const;
  bool registered() const { return rp_.address() != 0; }
  bool enabled() const { return rp_.enabled(); }

 private:
  friend ostd::Status RegisterKretprobe(const ostd::RefPtr<Kretprobe>& rp, const ProbeSite& site,
                                        bool disabled);
  friend ostd::Status UnregisterKretprobe(const ostd::RefPtr<Kretprobe>& rp);
  friend ostd::Status EnableKretprobe(const ostd::RefPtr<Kretprobe>& rp);
  friend ostd::Status DisableKretprobe(const ostd::RefPtr<Kretprobe>& rp);

  std::optional<uint64_t> OnEntry(const Regs& regs) final;
  void OnReturn(const Regs& regs, uint64_t cookie) final;

  // The pool's bitmap: a free instance's index, now taken, or nullopt.
  std::optional<uint32_t> Take();
  void Free(uint32_t index);
  bool InUse(uint64_t index) const;

  static constexpr uint32_t kUsedWords = kMaxActive / 64;

  uint32_t maxactive_;
  ostd::patch::ReturnProbe rp_;  // registry mutex
  // The pool, lock-free: instance i is in use while bit i of used_ is set.
  // The call that set the bit owns instances_[i] until its return clears
  // it, so the instance is read and written without a lock. Sized at
  // registration, before the probe is armed, and never while it is armed.
  ostd::Vec<KretprobeInstance> instances_;
  std::array<std::atomic<uint64_t>, kUsedWords> used_{};
  std::atomic<uint64_t> pool_missed_{0};
  std::atomic<uint64_t> earlier_missed_{0};  // ostd's misses of past registrations
};

// Places `rp` at the start of a function (see the errors at the top of this
// file). `disabled`: place it without arming it. Task context.
ostd::Status RegisterKretprobe(const ostd::RefPtr<Kretprobe>& rp, const ProbeSite& site,
                               bool disabled = false);
// Removes `rp` (ENOENT if not registered). Calls still inside the function
// return normally, unreported. Task context.
ostd::Status UnregisterKretprobe(const ostd::RefPtr<Kretprobe>& rp);
// Arms / disarms a registered kretprobe (EINVAL if not registered). Returns
// of calls already hooked are still reported while disabled.
ostd::Status EnableKretprobe(const ostd::RefPtr<Kretprobe>& rp);
ostd::Status DisableKretprobe(const ostd::RefPtr<Kretprobe>& rp);

}  // namespace kernel::kprobes

#endif  // KERNEL_KPROBES_KRETPROBE_H_
