// register_kprobe / unregister_kprobe (and the array forms) for loaded
// modules: Linux 6.1's struct kprobe, read from and written back to the
// module's memory through ModuleMemory's bounded reads and data writes, and
// its pre/post handlers called through checked entries (WordEntry) with a
// pt_regs record in Linux's x86-64 order. Each kprobe a module registers is
// a kernel::kprobes::Kprobe placed with ostd's Breakpoint, so the errors are
// Linux's (see kernel/kprobes/kprobes.h) and the probe observes only.
//
// What Keel does differently from Linux, and why:
//   * The struct kprobe must lie in a data section (.data, .bss) of a loaded
//     module's core: Keel writes addr, flags and nmissed back there and
//     reads nothing else a module hands over (EINVAL otherwise; on Linux it
//     may also be on the heap).
//   * Handlers must be functions of a loaded module's core text (EINVAL
//     otherwise), called as C functions.
//   * The pt_regs a handler gets is a copy: writing it changes nothing, and
//     a pre_handler returning nonzero (Linux: "I changed regs->ip, skip the
//     single step") only skips the post_handler; the probed code resumes as
//     if unprobed. regs->ip is the probe address + 1 in the pre_handler (as
//     Linux's int3 handler leaves it on x86) and the resume address in the
//     post_handler.
//   * nmissed is written back at every hit and at unregistration (Linux
//     counts into it at each miss).
//   * A module that is unloaded (or whose init fails) with kprobes still
//     registered gets them unregistered by the loader right after its exit
//     (or failed init) returns, with a warning: Linux leaves such a kprobe
//     armed with handlers in freed memory; Keel never calls into a module
//     that is gone (its memory also stays mapped while any entry remains).
#ifndef KERNEL_MODULE_MODULE_KPROBES_H_
#define KERNEL_MODULE_MODULE_KPROBES_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "ostd/ffi/module_memory.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::module {

// Linux 6.1's struct kprobe (x86_64, from its headers: sizeof 0x80).
inline constexpr uint64_t kKprobeSize = 0x80;
inline constexpr uint64_t kKprobeNmissed = 0x20;      // unsigned long
inline constexpr uint64_t kKprobeAddr = 0x28;         // kprobe_opcode_t *
inline constexpr uint64_t kKprobeSymbolName = 0x30;   // const char *
inline constexpr uint64_t kKprobeOffset = 0x38;       // unsigned int
inline constexpr uint64_t kKprobePreHandler = 0x40;   // int (*)(struct kprobe *, struct pt_regs *)
inline constexpr uint64_t kKprobePostHandler = 0x48;  // void (*)(..., unsigned long flags)
inline constexpr uint64_t kKprobeFlags = 0x78;        // u32
// KPROBE_FLAG_*.
inline constexpr uint32_t kKprobeFlagGone = 1;
inline constexpr uint32_t kKprobeFlagDisabled = 2;
inline constexpr uint32_t kKprobeFlagOnFuncEntry = 16;

// A loaded module's core memory, found by an address inside it.
struct ModuleCore {
  ostd::RefPtr<ostd::ffi::ModuleMemory> memory;
};

// The core of the loaded (or loading) module that contains `addr`, if any.
// Does not take the module lock (module init calls register_kprobe under
// it). Defined in loader.cc.
std::optional<ModuleCore> CoreContaining(uint64_t addr);

// The address of the core-text symbol `symbol` of the loaded module
// `module` (empty: of any loaded module, the newest first), as Linux's
// kallsyms_lookup_name() finds "MOD:SYM" and module symbols. Does not take
// the module lock. Defined in loader.cc.
std::optional<uint64_t> ModuleSymbolAddress(std::string_view module, std::string_view symbol);

// Installs register_kprobe & co. (ForeignCall handlers). Idempotent.
void InstallModuleKprobes();

// Unregisters every kprobe whose struct kprobe or handler lies in `core`,
// with a warning naming `module` (see the top of this file). Task context.
void RemoveModuleKprobes(const ostd::ffi::ModuleMemory& core, std::string_view module);

}  // namespace kernel::module

#endif  // KERNEL_MODULE_MODULE_KPROBES_H_
