// procfs: the process and system information files under /proc, generated
// when read.
//
//   /proc/self -> <pid>            /proc/<pid>/{stat,status,cmdline,comm,maps,
//   /proc/meminfo, cpuinfo,                      environ, exe, cwd, fd/N}
//   mounts, uptime, loadavg,
//   version, filesystems, stat,
//   kallsyms (kallsyms.h)
//
// Directories list their entries when read (processes appear and go); files
// produce their text on every read, so a read at offset N sees a fresh
// snapshot from N on.
#ifndef KERNEL_PROCFS_PROCFS_H_
#define KERNEL_PROCFS_PROCFS_H_

#include "ostd/result.h"

namespace kernel::procfs {

// Registers the "proc" type (mount -t proc) and mounts procfs at /proc
// (fs::Init() must have created the directory).
ostd::Status MountProc();

}  // namespace kernel::procfs

#endif  // KERNEL_PROCFS_PROCFS_H_
