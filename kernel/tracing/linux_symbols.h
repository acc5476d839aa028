// Linux names for Keel functions, so that kprobe_events commands written
// for Linux ("p:myopen do_sys_openat2 dfd=%di flags=%dx:x32") find the Keel
// function that does the same job. Each alias names one real function whose
// leading arguments are in Linux's order (the Keel function is written that
// way on purpose), so %di/%si/%dx and $argN read what they read on Linux:
//
//   do_sys_openat2  kernel::file_sys::DoSysOpenat2(dfd, filename, flags, mode, resolve, self)
//                   Linux 6.1 passes a struct open_how * as the third
//                   argument; Keel passes the flags (with O_LARGEFILE), as
//                   Linux's do_sys_open did before 5.6.
//   vfs_read        kernel::file_sys::VfsRead(file, buf, count, pos, self)
//   vfs_write       kernel::file_sys::VfsWrite(file, buf, count, pos, self)
//                   pos is a std::optional<int64_t> (two registers), not a
//                   loff_t *.
//   kernel_clone    kernel::KernelClone(args, self): args is Keel's
//                   CloneArgs, whose first field is the flags as in
//                   struct kernel_clone_args; returns the tid or -errno
//   do_exit         kernel::DoExit(code, self): the wait status word, as
//                   Linux's; reached from exit(2), exit_group(2) and a failed
//                   exec, not from deaths by signal
//
//   __x64_sys_NAME  the syscall table's adapter for NAME,
//                   kernel::syscall_adapt::Adapter<NR, &handler>::Call(regs,
//                   self): %di points to the caller's registers in Linux's
//                   pt_regs layout (kernel/syscalls/syscall.h), so
//                   +0x70(%di) is the first argument as on Linux; one for
//                   every syscall Keel implements
//
// Aliases are resolved by name prefix against the kernel symbol table once
// (InitLinuxSymbols), then read-only: safe from probe handlers.
#ifndef KERNEL_TRACING_LINUX_SYMBOLS_H_
#define KERNEL_TRACING_LINUX_SYMBOLS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "ostd/ksyms.h"

namespace kernel::tracing {

struct LinuxAlias {
  std::string_view linux_name;
  std::string_view keel_prefix;  // the Keel function's name up to its '('
};

// Resolves every alias (task context, once at boot; later calls do nothing).
void InitLinuxSymbols();

// The function `name` stands for: a Linux alias, or else a Keel symbol of
// exactly that name. nullopt if neither exists.
std::optional<ostd::Symbol> FindKernelFunction(std::string_view name);

// The Linux name of the Keel function starting at `address` ("" if none).
std::string_view LinuxNameAt(uint64_t address);

// Every alias with its resolved Keel symbol (nullopt: not found), for
// /proc/kallsyms and the tests. `i` from 0; false past the end.
bool LinuxAliasAt(size_t i, LinuxAlias& alias, std::optional<ostd::Symbol>& target);

}  // namespace kernel::tracing

#endif  // KERNEL_TRACING_LINUX_SYMBOLS_H_
