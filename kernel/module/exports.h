// The kernel's export table for modules (Linux's EXPORT_SYMBOL list, the
// part Keel provides) and the kernel side of modules' _printk. Internal to
// kernel/module: it names ostd/ffi exports.
#ifndef KERNEL_MODULE_EXPORTS_H_
#define KERNEL_MODULE_EXPORTS_H_

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/module/params.h"

namespace kernel::module {

// The address of the kernel symbol `name` exported to modules, or nullopt:
// __fentry__, __x86_return_thunk, __x86_indirect_thunk_<reg>, _printk,
// mem{cpy,move,set,cmp}, strlen, __kmalloc, kmalloc_trace, kmalloc_large,
// kmalloc_caches, kfree, __stack_chk_fail and
// param_ops_{int,uint,long,ulong,bool,charp,string}; and, for Keel-native
// modules, ostd's logging, formatting, time, sleep and heap entry points by
// their C++ names (native_module.h).
std::optional<uint64_t> KernelExport(std::span<const uint8_t> name);

// The param_ops_* addresses ApplyParams recognises.
ParamOpsAddresses KernelParamOps();

// Installs the kernel's _printk (module messages go to the kernel log at
// their KERN_* level). Idempotent.
void InstallPrintk();

}  // namespace kernel::module

#endif  // KERNEL_MODULE_EXPORTS_H_
