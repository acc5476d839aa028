// /proc/kallsyms: the kernel's symbol table in Linux's format, one symbol a
// line, "ADDR t NAME\n" with ADDR as 16 hex digits (Linux's %px), in address
// order.
//
// Addresses are shown only to readers with CAP_SYSLOG; everybody else sees
// 0000000000000000, as Debian 12's defaults give (kernel.kptr_restrict = 0
// with perf_event_paranoid = 3, so kallsyms_show_value() falls through to the
// CAP_SYSLOG check). Divergences from Linux: the check uses the reader's
// credentials at each read, not the opener's at open; every symbol is type
// 't' (Keel's table has functions only and no binding); names are the
// demangled C++ names of the link (they may contain spaces and ':').
#ifndef KERNEL_PROCFS_KALLSYMS_H_
#define KERNEL_PROCFS_KALLSYMS_H_

#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::procfs {

// A new /proc/kallsyms inode of file system `fs`.
ostd::Result<fs::RefPtr<fs::Inode>> MakeKallsyms(fs::FileSystem* fs);

}  // namespace kernel::procfs

#endif  // KERNEL_PROCFS_KALLSYMS_H_
