// The kprobes side of module_kprobes.h (probe_bridge.h).
#include "kernel/module/probe_bridge.h"

#include <optional>
#include <string_view>
#include <utility>

#include "kernel/kprobes/kprobes.h"
#include "kernel/tracing/linux_symbols.h"

namespace kernel::module {
namespace {

PtRegsWords Words(const kprobes::Regs& r, uint64_t ip) {
  return {r.r15, r.r14, r.r13, r.r12, r.rbp,      r.rbx, r.r11, r.r10,    r.r9,  r.r8, r.rax,
          r.rcx, r.rdx, r.rsi, r.rdi, r.orig_rax, ip,    r.cs,  r.rflags, r.rsp, r.ss};
}

class BridgeKprobe final : public kprobes::Kprobe {
 public:
  explicit BridgeKprobe(ostd::RefPtr<ProbeCallbacks> cb) : cb_(std::move(cb)) {}
  void PreHandler(const kprobes::Regs& regs) override {
    PtRegsWords w = Words(regs, regs.rip + 1);
    cb_->Pre(w, nmissed());
  }
  void PostHandler(const kprobes::Regs& regs) override {
    PtRegsWords w = Words(regs, regs.rip);
    cb_->Post(w);
  }

 private:
  ostd::RefPtr<ProbeCallbacks> cb_;
};

class PlacedProbe final : public ModuleProbe {
 public:
  explicit PlacedProbe(ostd::RefPtr<BridgeKprobe> kp) : kp_(std::move(kp)) {}
  uint64_t address() const override { return kp_->address(); }
  uint64_t function_offset() const override { return kp_->function().offset; }
  uint64_t nmissed() const override { return kp_->nmissed(); }
  void Unregister() override { (void)kprobes::UnregisterKprobe(kp_); }

 private:
  ostd::RefPtr<BridgeKprobe> kp_;
};

}  // namespace

ostd::Result<ostd::RefPtr<ModuleProbe>> PlaceModuleProbe(uint64_t addr, bool disabled,
                                                         ostd::RefPtr<ProbeCallbacks> callbacks) {
  OSTD_TRY_ASSIGN(ostd::RefPtr<BridgeKprobe> kp, ostd::MakeRef<BridgeKprobe>(std::move(callbacks)));
  OSTD_TRY(kprobes::RegisterKprobe(kp, {.symbol = {}, .offset = 0, .addr = addr}, disabled));
  ostd::Result<ostd::RefPtr<PlacedProbe>> placed = ostd::MakeRef<PlacedProbe>(kp);
  if (!placed) {
    (void)kprobes::UnregisterKprobe(kp);
    return ostd::Err(placed.error());
  }
  return ostd::RefPtr<ModuleProbe>(std::move(*placed));
}

std::optional<uint64_t> KernelFunctionAddress(std::string_view name) {
  tracing::InitLinuxSymbols();
  std::optional<ostd::Symbol> fn = tracing::FindKernelFunction(name);
  if (!fn) return std::nullopt;
  return fn->address;
}

}  // namespace kernel::module
