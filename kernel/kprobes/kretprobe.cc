#include "kernel/kprobes/kretprobe.h"

#include <bit>
#include <utility>

#include "ostd/cpu.h"
#include "ostd/task/mutex.h"
#include "ostd/task/task.h"

namespace kernel::kprobes {
namespace {

// Serializes registration state changes of every Kretprobe.
ostd::Mutex registry;

uint32_t DefaultMaxActive() {
  uint32_t twice = 2 * ostd::cpu::Count();
  return twice > 10 ? twice : 10;
}

}  // namespace

bool Kretprobe::EntryHandler(KretprobeInstance&, const Regs&) { return true; }
void Kretprobe::ReturnHandler(KretprobeInstance&, const Regs&) {}

uint64_t Kretprobe::nmissed() const {
  return earlier_missed_.load(std::memory_order_relaxed) + rp_.missed() +
         pool_missed_.load(std::memory_order_relaxed);
}

uint32_t Kretprobe::outstanding() const {
  uint32_t n = 0;
  for (const std::atomic<uint64_t>& w : used_) {
    n += static_cast<uint32_t>(std::popcount(w.load(std::memory_order_relaxed)));
  }
  return n;
}

std::optional<uint32_t> Kretprobe::Take() {
  uint32_t n = static_cast<uint32_t>(instances_.size());
  for (uint32_t w = 0; w * 64 < n; ++w) {
    uint32_t bits = n - w * 64 < 64 ? n - w * 64 : 64;
    uint64_t valid = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    uint64_t v = used_[w].load(std::memory_order_relaxed);
    while ((~v & valid) != 0) {
      uint32_t bit = static_cast<uint32_t>(std::countr_zero(~v & valid));
      if (used_[w].compare_exchange_weak(v, v | (uint64_t{1} << bit), std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
        return w * 64 + bit;
      }
    }
  }
  return std::nullopt;
}

void Kretprobe::Free(uint32_t index) {
  used_[index / 64].fetch_and(~(uint64_t{1} << (index % 64)), std::memory_order_release);
}

bool Kretprobe::InUse(uint64_t index) const {
  return index < instances_.size() &&
         (used_[index / 64].load(std::memory_order_acquire) & (uint64_t{1} << (index % 64))) != 0;
}

std::optional<uint64_t> Kretprobe::OnEntry(const Regs& regs) {
  std::optional<uint32_t> index = Take();
  if (!index) {
    pool_missed_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  // This call's own until its return (or a refusal below) frees it.
  KretprobeInstance& ri = instances_[*index];
  ostd::Task* task = ostd::CurrentTask();
  ri = KretprobeInstance{
      .task_id = task == nullptr ? 0 : task->id(), .entry_sp = regs.rsp, .ret_addr = 0};
  if (!EntryHandler(ri, regs)) {
    Free(*index);
    return std::nullopt;
  }
  return uint64_t{*index};
}

void Kretprobe::OnReturn(const Regs& regs, uint64_t cookie) {
  if (!InUse(cookie)) return;
  uint32_t index = static_cast<uint32_t>(cookie);
  KretprobeInstance& ri = instances_[index];
  ri.ret_addr = regs.rip;
  ReturnHandler(ri, regs);
  Free(index);
}

ostd::Status RegisterKretprobe(const ostd::RefPtr<Kretprobe>& rp, const ProbeSite& site,
                               bool disabled) {
  if (!rp) return ostd::Err(ostd::Errno::kEINVAL);
  bool by_symbol = !site.symbol.empty();
  if (by_symbol == (site.addr != 0)) return ostd::Err(ostd::Errno::kEINVAL);
  if (rp->maxactive_ > Kretprobe::kMaxActive) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (rp->registered()) return ostd::Err(ostd::Errno::kEEXIST);
  if (by_symbol) {
    // As Linux: a kretprobe only at a function's entry. Resolve the symbol
    // first so an unknown one is ENOENT.
    std::optional<ostd::Symbol> s = ostd::KernelSymbols().FindSymbol(site.symbol);
    if (!s) return ostd::Err(ostd::Errno::kENOENT);
    if (site.offset != 0) return ostd::Err(ostd::Errno::kEINVAL);
  }
  uint32_t n = rp->maxactive_ == 0 ? DefaultMaxActive() : rp->maxactive_;
  // The pool, replaced while the probe is not armed: no handler of this
  // kretprobe can run (unregistration waited for the last one).
  ostd::Vec<KretprobeInstance> instances;
  OSTD_TRY(instances.Resize(n));
  std::swap(rp->instances_, instances);
  for (std::atomic<uint64_t>& w : rp->used_) w.store(0, std::memory_order_relaxed);
  rp->maxactive_ = n;
  ostd::patch::ProbeOptions options{.enabled = !disabled};
  ostd::RefPtr<ostd::patch::ReturnProbeHandler> handler = rp;
  ostd::Result<ostd::patch::ReturnProbe> probe =
      by_symbol ? ostd::patch::ReturnProbe::AtSymbol(site.symbol, handler, options)
                : ostd::patch::ReturnProbe::AtAddress(site.addr, handler, options);
  if (!probe) return ostd::Err(probe.error());
  rp->rp_ = std::move(*probe);
  return {};
}

ostd::Status UnregisterKretprobe(const ostd::RefPtr<Kretprobe>& rp) {
  if (!rp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::patch::ReturnProbe gone;
  {
    ostd::MutexGuard guard(registry);
    if (!rp->registered()) return ostd::Err(ostd::Errno::kENOENT);
    rp->earlier_missed_.fetch_add(rp->rp_.missed(), std::memory_order_relaxed);
    gone = std::move(rp->rp_);
  }
  // `gone` removes the probe here: afterwards no handler of rp runs, and
  // calls still inside the function return to their callers unreported.
  gone = ostd::patch::ReturnProbe();
  for (std::atomic<uint64_t>& w : rp->used_) w.store(0, std::memory_order_relaxed);
  return {};
}

ostd::Status EnableKretprobe(const ostd::RefPtr<Kretprobe>& rp) {
  if (!rp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (!rp->registered()) return ostd::Err(ostd::Errno::kEINVAL);
  return rp->rp_.Enable();
}

ostd::Status DisableKretprobe(const ostd::RefPtr<Kretprobe>& rp) {
  if (!rp) return ostd::Err(ostd::Errno::kEINVAL);
  ostd::MutexGuard guard(registry);
  if (!rp->registered()) return ostd::Err(ostd::Errno::kEINVAL);
  return rp->rp_.Disable();
}

}  // namespace kernel::kprobes
