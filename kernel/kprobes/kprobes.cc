#include "kernel/kprobes/kprobes.h"

#include <utility>

#include "ostd/task/mutex.h"

namespace kernel::kprobes {
namespace {

// Serializes registration state changes of every Kprobe.
ostd::Mutex registry;

}  // namespace

void Kprobe::PreHandler(const Regs&) {}
void Kprobe::PostHandler(const Regs&) {}

void Kprobe::OnHit(const Regs& regs) { PreHandler(regs); }
void Kprobe::AfterStep(const Regs& regs) { PostHandler(regs); }

uint64_t Kprobe::address() const { return bp_.address(); }
ostd::Symbol Kprobe::function() const { return bp_.function(); }
uint64_t Kprobe::nhit() const { return bp_.hits(); }
uint64_t Kprobe::nmissed() const { return bp_.missed(); }
bool Kprobe::registered() const { return bp_.address() != 0; }
bool Kprobe::enabled() const { return bp_.enabled(); }

ostd::Status RegisterKprobe(const ostd::RefPtr<Kprobe>& kp, const ProbeSite& site, bool disabled) {
  if (!kp) return ostd::Err(ostd::Errno::kEINVAL);
  bool by_symbol = !site.symbol.empty();
  if (by_symbol == (site.addr != 0)) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (kp->registered()) return ostd::Err(ostd::Errno::kEEXIST);
  ostd::patch::ProbeOptions options{.enabled = !disabled, .after_step = kp->post_handler_};
  ostd::RefPtr<ostd::patch::ProbeHandler> handler = kp;
  ostd::Result<ostd::patch::Breakpoint> bp =
      by_symbol ? ostd::patch::Breakpoint::AtSymbol(site.symbol, site.offset, handler, options)
                : ostd::patch::Breakpoint::AtAddress(site.addr, handler, options);
  if (!bp) return ostd::Err(bp.error());
  kp->bp_ = std::move(*bp);
  return {};
}

ostd::Status UnregisterKprobe(const ostd::RefPtr<Kprobe>& kp) {
  if (!kp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::patch::Breakpoint gone;
  {
    ostd::MutexGuard guard(registry);
    if (!kp->registered()) return ostd::Err(ostd::Errno::kENOENT);
    gone = std::move(kp->bp_);
  }
  return {};  // `gone` removes the breakpoint (and its reference to kp) here
}

ostd::Status EnableKprobe(const ostd::RefPtr<Kprobe>& kp) {
  if (!kp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (!kp->registered()) return ostd::Err(ostd::Errno::kEINVAL);
  return kp->bp_.Enable();
}

ostd::Status DisableKprobe(const ostd::RefPtr<Kprobe>& kp) {
  if (!kp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (!kp->registered()) return ostd::Err(ostd::Errno::kEINVAL);
  return kp->bp_.Disable();
}

}  // namespace kernel::kprobes
