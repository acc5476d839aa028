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

#include <cstddef>
#include <cstdint>
#include <optional>
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

// ----- /sys/module/<name> (kernel/module/sysfs_module.h) -----
// Each call looks the module up by name under the module lock: ENOENT once
// it is gone (a directory entry of an unloaded module).

// Writes the name of the i-th loaded module (any state), false past the last.
bool ModuleNameAt(size_t i, ostd::FormatSink& out);
// True if a module named `name` is in the list (coming, live or going).
bool ModuleLoaded(std::string_view name);

// The one-value files of a module's directory, in Linux's format:
// refcnt "%d\n", initstate "live\n"/"coming\n"/"going\n", coresize and
// initsize "%u\n" (initsize is 0 once .init* is freed, as Linux resets
// it), taint the module's taint letters and "\n".
enum class ModuleAttr : uint8_t { kRefcnt, kInitstate, kCoresize, kInitsize, kTaint };
ostd::Status WriteModuleAttr(std::string_view name, ModuleAttr attr, ostd::FormatSink& out);

// Writes the name of the i-th module that uses `name` (holders/), false
// past the last or if there is no such module.
bool ModuleHolderAt(std::string_view name, size_t i, ostd::FormatSink& out);

// The i-th parameter of `name` that has a sysfs file (perm != 0): its name
// into `out` and its permission bits; nullopt past the last.
std::optional<uint16_t> ModuleParamAt(std::string_view name, size_t i, ostd::FormatSink& out);
// The permission bits of parameter `param` of `name`, if it has a file.
std::optional<uint16_t> ModuleParamPerm(std::string_view name, std::string_view param);
// The value of a parameter as Linux's param_get_* prints it ("%i\n",
// "%u\n", "%li\n", "%lu\n", "Y\n"/"N\n", "%s\n"). ENOENT if the module or
// parameter is gone; EPERM for a parameter whose ops are not the kernel's
// param_ops_* (Keel does not call a module's own get); EFAULT if a string
// cannot be read.
ostd::Status ShowModuleParam(std::string_view name, std::string_view param, ostd::FormatSink& out);
// Sets a parameter from a sysfs write (the text up to its first NUL), as
// Linux's param_set_* do: integers as kstrto* (EINVAL, ERANGE), bool as
// kstrtobool, charp copied whole (newline included; ENOSPC past 1024
// bytes; the previous copy is freed), string into the module's buffer
// (ENOSPC if it does not fit). ENOENT if gone; EPERM for foreign ops.
ostd::Status StoreModuleParam(std::string_view name, std::string_view param,
                              std::span<const char> text);

// The i-th loaded section of `name` (sections/): its name into `out` and its
// address; nullopt past the last.
std::optional<uint64_t> ModuleSectionAt(std::string_view name, size_t i, ostd::FormatSink& out);

// Writes `addr` as Linux's %pS does for an address inside a loaded module's
// function or object: "name+0xoff/0xsize [module]" (`with_offset` false:
// "name"). False if no module symbol covers it. Does not take the module
// lock (module code calls _printk while its init runs under it).
bool WriteModuleSymbol(uint64_t addr, bool with_offset, ostd::FormatSink& out);

// /proc/sys/kernel/modules_disabled: once set, it stays set (Linux's
// one-way sysctl) and every module call fails with EPERM.
bool ModulesDisabled();
void DisableModules();

}  // namespace kernel::module

#endif  // KERNEL_MODULE_LOADER_H_
