// Namespace files (Linux's nsfs inodes): what a /proc/<pid>/ns/<name> link
// leads to when it is opened or stat'ed, and what setns(2) and the NS_GET_*
// ioctls take.
//
// An ns inode holds its namespace, so an open one keeps the namespace alive
// after its last process has left it and can still be joined, as on Linux.
// Its inode number is the namespace's (the N of "mnt:[N]"), on a file system
// of its own (one st_dev, statfs magic NSFS_MAGIC): two opens of one
// namespace compare equal by st_dev and st_ino, which is how programs tell
// whether two processes share a namespace. Reads and writes are EINVAL.
//
// Keel has mount, pid, UTS and network namespaces only; /proc/<pid>/ns has
// no files for the other kinds (user, ipc, cgroup, time), as Linux built
// without them.
#ifndef KERNEL_PROCFS_NS_FILE_H_
#define KERNEL_PROCFS_NS_FILE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/process/net_namespace.h"
#include "kernel/process/pid_namespace.h"
#include "kernel/process/uts.h"
#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::procfs {

// The CLONE_NEW* constants of the kinds Keel has, which NS_GET_NSTYPE
// returns and setns's nstype names them by.
inline constexpr uint32_t kNsTypeMnt = 0x00020000;  // CLONE_NEWNS
inline constexpr uint32_t kNsTypePid = 0x20000000;  // CLONE_NEWPID
inline constexpr uint32_t kNsTypeUts = 0x04000000;  // CLONE_NEWUTS
inline constexpr uint32_t kNsTypeNet = 0x40000000;  // CLONE_NEWNET

// One namespace: exactly one of the four is set.
struct NsRef {
  ostd::RefPtr<fs::MountNamespace> mnt;
  ostd::RefPtr<PidNamespace> pid;
  ostd::RefPtr<UtsNamespace> uts;
  ostd::RefPtr<NetNamespace> net;

  // Its CLONE_NEW* constant.
  uint32_t type() const {
    return mnt ? kNsTypeMnt : uts ? kNsTypeUts : net ? kNsTypeNet : kNsTypePid;
  }
  // Its inode number.
  uint32_t inum() const {
    return mnt ? mnt->inum() : uts ? uts->inum() : net ? net->inum() : pid->inum();
  }
  // Its kind's name, as in "uts:[N]".
  std::string_view name() const {
    constexpr std::string_view kMnt = "mnt", kUts = "uts", kNet = "net", kPid = "pid";
    return mnt ? kMnt : uts ? kUts : net ? kNet : kPid;
  }
};

// A new ns inode standing for `ns` (which must name a namespace). ENOMEM;
// ENOENT before InitNsFs.
ostd::Result<fs::RefPtr<fs::Inode>> MakeNsInode(NsRef ns);

// The namespace `inode` stands for (new references), or nullopt if it is not
// an ns inode.
std::optional<NsRef> NsOf(fs::Inode& inode);

// Makes the nsfs instance (MountProc calls it once, before any ns link can
// be followed). ENOMEM.
ostd::Status InitNsFs();

}  // namespace kernel::procfs

#endif  // KERNEL_PROCFS_NS_FILE_H_
