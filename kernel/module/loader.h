// The module loader: loads a Linux .ko image (or a Keel-native one) into
// module memory, links it against the kernel's export table (exports.cc)
// and the loaded modules' __ksymtab, runs its init, keeps the module list
// with its dependencies, and unloads. The system calls (module_syscalls.cc)
// and /proc (procfs) reach modules only through this header, which names no
// ostd/ffi type: module memory and foreign entries stay inside
// kernel/module/.
//
// A module's code runs in ring 0: loading one extends the trusted base
// (docs/safety.md). The gates (CAP_SYS_MODULE, modules_disabled) are the
// callers' (module_syscalls.cc); everything here assumes a privileged caller
// but still treats the image as hostile bytes: any image gives an errno,
// never a crash (unless the module's own code, once running, misbehaves).
#ifndef KERNEL_MODULE_LOADER_H_
#define KERNEL_MODULE_LOADER_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/fmt.h"
#include "ostd/result.h"

namespace kernel::module {

// finit_module flags (Linux's MODULE_INIT_*).
inline constexpr uint32_t kInitIgnoreModversions = 1;
inline constexpr uint32_t kInitIgnoreVermagic = 2;
inline constexpr uint32_t kInitCompressedFile = 4;

// The vermagic Keel accepts: Debian 12's 6.1 configuration. Modules with
// modversions CRCs match whatever their release (SameVermagic).
inline constexpr std::string_view kKernelVermagic =
    "6.1.0-keel SMP preempt mod_unload modversions ";

// The largest image Keel reads (Linux bounds finit_module by INT_MAX and
// init_module by memory; Debian's largest module is about 20 MiB): larger
// is EFBIG for finit_module and ENOMEM for init_module, as a failed
// allocation of the copy is on Linux.
inline constexpr uint64_t kMaxImageSize = uint64_t{64} << 20;

// Loads `image` (the whole file, possibly signed) with the parameter string
// `args`, as Linux's load_module() with `flags` (finit_module's; 0 for
// init_module). kInitIgnoreVermagic / kInitIgnoreModversions force the load
// and taint the kernel 'F', as Debian's CONFIG_MODULE_FORCE_LOAD does.
// Errors: ENOEXEC (bad image, vermagic mismatch), EBADMSG (bad signature trailer), EOPNOTSUPP
// (kInitCompressedFile: Keel has no decompressor), EEXIST (a module of that name is loaded or
// loading), ENOENT (an unknown symbol or a depends= module not loaded),
// EINVAL/ERANGE/ENOSPC (a bad parameter), ENOMEM, or the errno the module's
// init returned (everything is then undone).
ostd::Status LoadModule(std::span<const uint8_t> image, std::span<const uint8_t> args,
                        uint32_t flags);

// Unloads the module named `name`, as Linux's delete_module() (flags are
// O_NONBLOCK/O_TRUNC; Keel, like Debian, has no CONFIG_MODULE_FORCE_UNLOAD
// so O_TRUNC forces nothing). ENOENT if none is loaded; EWOULDBLOCK if
// another module uses it; EBUSY if it is not live or has an init but no
// exit.
ostd::Status UnloadModule(std::string_view name, uint32_t flags);

// Writes /proc/modules: one line per module, newest first, as Linux's
// m_show(): "name size refcnt users, state 0xaddress (taints)". The address
// is 0 unless `show_addresses` (Linux's kallsyms_show_value()).
void WriteProcModules(ostd::FormatSink& out, bool show_addresses);

// /proc/sys/kernel/modules_disabled: once set, it stays set (Linux's
// one-way sysctl) and every module call fails with EPERM.
bool ModulesDisabled();
void DisableModules();

}  // namespace kernel::module

#endif  // KERNEL_MODULE_LOADER_H_
