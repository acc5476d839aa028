// /proc/sys: the sysctls Keel implements, as files of procfs.
//
//   /proc/sys/vm/memfd_noexec        the caller's pid namespace's
//                                    vm.memfd_noexec (pid_namespace.h);
//                                    writes need CAP_SYS_ADMIN
//   /proc/sys/vm/mmap_min_addr       the lowest address mmap gives (fixed)
//   /proc/sys/kernel/modules_disabled 0, or 1 once module loading is off
//   /proc/sys/kernel/{hostname,domainname} the UTS names (uts.h)
//   /proc/sys/kernel/pid_max         where pids wrap (process.h); root
//                                    may write it
//   /proc/sys/kernel/{msg,sem,shm}_next_id the id the next System V object
//                                    of that kind gets (fs/ipc_next_id.h)
//   /proc/sys/kernel/{ostype,osrelease} fixed values
//   /proc/sys/fs/mqueue/*            the POSIX message queue limits
//                                    (fs/mqueue_limits.h)
//
// Reads give "N\n" at offset 0 (nothing at other offsets); writes take one
// integer at offset 0 by proc_dointvec_minmax's rules (fs/memfd.h) and are
// ignored at other offsets, as Linux's strict sysctl writes; open(O_TRUNC)
// changes nothing.
#ifndef KERNEL_PROCFS_SYSCTL_H_
#define KERNEL_PROCFS_SYSCTL_H_

#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::procfs {

// A new /proc/sys directory inode of procfs instance `fs`, whose ".." is
// `proc_root` (the first call's arguments are kept).
ostd::Result<fs::RefPtr<fs::Inode>> MakeSysctlDir(fs::FileSystem* fs,
                                                  fs::RefPtr<fs::Inode> proc_root);

}  // namespace kernel::procfs

#endif  // KERNEL_PROCFS_SYSCTL_H_
