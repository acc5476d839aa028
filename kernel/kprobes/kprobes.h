// kprobes: Linux's in-kernel probe interface, on ostd's Breakpoint
// capability (ostd/patch/probe.h). Kernel code derives from Kprobe, overrides
// PreHandler/PostHandler, and registers it at a symbol (+ offset) or an
// address:
//
//   class OpenProbe : public kernel::kprobes::Kprobe {
//     void PreHandler(const Regs& regs) override { ... regs.rdi ... }
//   };
//   OSTD_TRY_ASSIGN(ostd::RefPtr<OpenProbe> kp, ostd::MakeRef<OpenProbe>());
//   OSTD_TRY(kernel::kprobes::RegisterKprobe(kp, {.symbol = "do_sys_openat2"}));
//   ...
//   OSTD_TRY(kernel::kprobes::UnregisterKprobe(kp));
//
// Several kprobes may share an address (one int3, one slot: ostd keeps the
// original byte until the last one goes). Handlers follow ostd's contract:
// interrupts off, no blocking, registers are a read-only pt_regs snapshot
// (Keel probes observe; they cannot change the probed code's registers or
// its ip, so there is no "pre-handler returns nonzero" path). A hit inside a
// handler is counted in nmissed() and not handled.
//
// Errors, as Linux's register_kprobe: EINVAL for both or neither of symbol
// and address, for an address outside a known kernel function or an offset
// past the function's end, and for blacklisted (no-probe) code; ENOENT for
// an unknown symbol; EILSEQ for an address that is not an instruction
// boundary; EOPNOTSUPP for an instruction that cannot be probed; EEXIST for a
// kprobe that is already registered; EBUSY in a context that cannot patch
// text (interrupts off).
#ifndef KERNEL_KPROBES_KPROBES_H_
#define KERNEL_KPROBES_KPROBES_H_

#include <cstdint>
#include <string_view>

#include "ostd/ksyms.h"
#include "ostd/patch/probe.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::kprobes {

// Registers at a hit, in Linux pt_regs order.
using Regs = ostd::patch::ProbeRegs;

// Where to probe: a symbol (+ offset) or an address, not both.
struct ProbeSite {
  std::string_view symbol;
  uint64_t offset = 0;
  uint64_t addr = 0;
};

// A kprobe. Override the handlers; register with RegisterKprobe.
class Kprobe : public ostd::patch::ProbeHandler {
 public:
  // `post_handler` false: PostHandler is never called (Linux's kprobe with
  // no post_handler), and a hit costs less.
  explicit Kprobe(bool post_handler = true) : post_handler_(post_handler) {}

  // Runs before the probed instruction.
  virtual void PreHandler(const Regs& regs);
  // Runs after it (if constructed with post_handler).
  virtual void PostHandler(const Regs& regs);

  // The probed address (0 unless registered).
  uint64_t address() const;
  // The function and offset it probes (empty name unless registered).
  ostd::Symbol function() const;
  // Hits that ran the handlers, and hits missed (a probe hit inside a
  // handler on the same CPU).
  uint64_t nhit() const;
  uint64_t nmissed() const;
  // True while registered, and while registered and not disabled.
  bool registered() const;
  bool enabled() const;

 private:
  friend ostd::Status RegisterKprobe(const ostd::RefPtr<Kprobe>& kp, const ProbeSite& site,
                                     bool disabled);
  friend ostd::Status UnregisterKprobe(const ostd::RefPtr<Kprobe>& kp);
  friend ostd::Status EnableKprobe(const ostd::RefPtr<Kprobe>& kp);
  friend ostd::Status DisableKprobe(const ostd::RefPtr<Kprobe>& kp);

  void OnHit(const Regs& regs) final;
  void AfterStep(const Regs& regs) final;

  bool post_handler_;

  // Set while registered (under the registry mutex). The Breakpoint holds a
  // reference to this Kprobe until it is unregistered.
  ostd::patch::Breakpoint bp_;
};

// Places `kp` (see the errors at the top of this file). `disabled`: place it
// without arming it (Linux's KPROBE_FLAG_DISABLED). Task context.
ostd::Status RegisterKprobe(const ostd::RefPtr<Kprobe>& kp, const ProbeSite& site,
                            bool disabled = false);
// Removes `kp`; the original byte returns when it was the last probe at the
// address. ENOENT if it is not registered. Task context.
ostd::Status UnregisterKprobe(const ostd::RefPtr<Kprobe>& kp);
// Arms / disarms a registered kprobe (EINVAL if not registered).
ostd::Status EnableKprobe(const ostd::RefPtr<Kprobe>& kp);
ostd::Status DisableKprobe(const ostd::RefPtr<Kprobe>& kp);

}  // namespace kernel::kprobes

#endif  // KERNEL_KPROBES_KPROBES_H_
