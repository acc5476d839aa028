// The kprobes side of module_kprobes.h, apart from it: this header and
// probe_bridge.cc name no ostd/ffi type, and module_kprobes.cc (which uses
// ostd/ffi) includes no kernel header from outside kernel/module/ (the
// restricted_capability rule looks at every redeclaration of a namespace a
// translation unit sees).
#ifndef KERNEL_MODULE_PROBE_BRIDGE_H_
#define KERNEL_MODULE_PROBE_BRIDGE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::module {

// A pt_regs block in Linux's x86-64 order (r15 ... ss, 21 words).
using PtRegsWords = std::array<uint64_t, 21>;

// What a module's kprobe runs at a hit (kprobes' handler contract:
// interrupts off, no blocking).
class ProbeCallbacks : public ostd::RefCounted<ProbeCallbacks> {
 public:
  virtual ~ProbeCallbacks() = default;
  // Before the probed instruction: regs->ip is the probe address + 1, as
  // Linux's x86 int3 handler leaves it; `nmissed` the probe's misses so far.
  virtual void Pre(PtRegsWords& regs, uint64_t nmissed) = 0;
  // After it: regs->ip is where the probed code resumes.
  virtual void Post(PtRegsWords& regs) = 0;
};

// A placed kprobe (kernel::kprobes::Kprobe) running ProbeCallbacks.
class ModuleProbe : public ostd::RefCounted<ModuleProbe> {
 public:
  virtual ~ModuleProbe() = default;
  // The probed address.
  virtual uint64_t address() const = 0;
  // Its offset in the function it lies in.
  virtual uint64_t function_offset() const = 0;
  // Hits missed (a hit inside a probe handler).
  virtual uint64_t nmissed() const = 0;
  // Removes the probe (waits until no CPU runs its callbacks). Task context.
  virtual void Unregister() = 0;
};

// Places a kprobe at `addr` running `callbacks` (kernel::kprobes'
// RegisterKprobe errors). Task context.
ostd::Result<ostd::RefPtr<ModuleProbe>> PlaceModuleProbe(uint64_t addr, bool disabled,
                                                         ostd::RefPtr<ProbeCallbacks> callbacks);

// The kernel function `name` stands for (a Linux alias or a Keel name),
// as kprobe_events resolves it: its start address.
std::optional<uint64_t> KernelFunctionAddress(std::string_view name);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_PROBE_BRIDGE_H_
