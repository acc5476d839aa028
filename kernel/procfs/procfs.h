// procfs: the process and system information files under /proc, generated
// when read.
//
//   /proc/self -> <pid>            /proc/<pid>/{stat,status,cmdline,comm,maps,
//   /proc/meminfo, cpuinfo,                      environ, exe, cwd, root, fd/N}
//   mounts, uptime, loadavg,
//   version, filesystems, stat,
//   kallsyms (kallsyms.h)
//
// Directories list their entries when read (processes appear and go); files
// produce their text on every read, so a read at offset N sees a fresh
// snapshot from N on.
#ifndef KERNEL_PROCFS_PROCFS_H_
#define KERNEL_PROCFS_PROCFS_H_

#include <cstdint>
#include <optional>

#include "kernel/fs/inode.h"
#include "kernel/process/pid_namespace.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::procfs {

// The process a /proc/<pid> directory stands for, as pidfd_send_signal takes
// such a descriptor in place of a pidfd (Linux's tgid_pidfd_to_pid): its pid
// and start time (a pid reused by a later process is not it). Nullopt for
// any other inode, /proc/<pid>/task/<tid> included.
struct ProcDirTarget {
  int pid;
  uint64_t start_ns;
};
std::optional<ProcDirTarget> ProcDirTargetOf(fs::Inode& inode);

// The pid namespace whose numbers /proc shows (and a pidfd's fdinfo): the
// reader's, or the initial one for a kernel task. (Linux shows the
// namespace of whoever mounted that proc instance; Keel's mounts share one
// set of directories, so each reader sees its own namespace's view, the
// same thing for the usual unshare-and-mount-proc.)
ostd::RefPtr<PidNamespace> ReaderNs();

// Registers the "proc" type (mount -t proc) and mounts procfs at /proc
// (fs::Init() must have created the directory).
ostd::Status MountProc();

}  // namespace kernel::procfs

#endif  // KERNEL_PROCFS_PROCFS_H_
