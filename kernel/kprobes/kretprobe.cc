#include "kernel/kprobes/kretprobe.h"

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
  ostd::SpinLockGuard guard(lock_);
  return static_cast<uint32_t>(instances_.size() - free_.size());
}

std::optional<uint64_t> Kretprobe::OnEntry(const Regs& regs) {
  ostd::Task* task = ostd::CurrentTask();
  const KretprobeInstance fresh{
      .task_id = task == nullptr ? 0 : task->id(), .entry_sp = regs.rsp, .ret_addr = 0};
  uint32_t index = 0;
  {
    ostd::SpinLockGuard guard(lock_);
    if (free_.empty()) {
      pool_missed_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    index = free_.back();
    free_.PopBack();
    used_[index] = true;
    instances_[index] = fresh;
  }
  // The instance is this call's alone until it is freed: the handler works
  // on a copy, stored back under the lock only if it kept the call and
  // changed the instance (the common handler does neither).
  KretprobeInstance ri = fresh;
  bool hook = EntryHandler(ri, regs);
  if (hook && ri == fresh) return uint64_t{index};
  ostd::SpinLockGuard guard(lock_);
  if (!hook) {
    used_[index] = false;
    // Cannot fail: free_ has room for every instance (reserved at registration).
    (void)free_.Push(index);
    return std::nullopt;
  }
  instances_[index] = ri;
  return uint64_t{index};
}

void Kretprobe::OnReturn(const Regs& regs, uint64_t cookie) {
  KretprobeInstance ri;
  {
    // The handler gets a copy, so the instance is free again at once (no
    // second lock round after it).
    ostd::SpinLockGuard guard(lock_);
    if (cookie >= instances_.size() || !used_[cookie]) return;
    ri = instances_[cookie];
    used_[cookie] = false;
    (void)free_.Push(static_cast<uint32_t>(cookie));  // room reserved: cannot fail
  }
  ri.ret_addr = regs.rip;
  ReturnHandler(ri, regs);
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
  // The pool, made before the lock (allocation) and swapped in while the
  // probe is not armed: no handler of this kretprobe can run yet.
  ostd::Vec<KretprobeInstance> instances;
  ostd::Vec<uint32_t> free;
  ostd::Vec<bool> used;
  OSTD_TRY(instances.Reserve(n));
  OSTD_TRY(free.Reserve(n));
  OSTD_TRY(used.Reserve(n));
  for (uint32_t i = 0; i < n; ++i) {
    OSTD_TRY(instances.Push(KretprobeInstance{}));
    OSTD_TRY(free.Push(n - 1 - i));
    OSTD_TRY(used.Push(false));
  }
  {
    ostd::SpinLockGuard pool(rp->lock_);
    std::swap(rp->instances_, instances);
    std::swap(rp->free_, free);
    std::swap(rp->used_, used);
  }
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
  ostd::SpinLockGuard pool(rp->lock_);
  for (uint32_t i = 0; i < rp->used_.size(); ++i) {
    if (rp->used_[i]) {
      rp->used_[i] = false;
      (void)rp->free_.Push(i);
    }
  }
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
