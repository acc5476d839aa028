// mount(2) and umount2(2) over the file-system type registry
// (kernel/fs/fs_type.h) and the caller's mount namespace
// (kernel/fs/mount_namespace.h), and sync/syncfs/fsync reaching the mounted
// instances.
//
// Linux's checks, in its order: the strings and the target path (EFAULT,
// ENOENT); EPERM without privilege; EINVAL for flags; the type (ENODEV); for
// a disk-backed type the source (ENOENT; ENOTBLK if not a block device;
// ENXIO if no disk is behind it); ENOTDIR for a target that is not a
// directory. umount2: EINVAL for unknown flags, the path (ENOENT), EPERM,
// then EINVAL for a target that is not the root of a mount.
//
// Flags: MS_RDONLY, MS_SILENT, MS_RELATIME (Keel's atime rule), MS_NOSUID,
// MS_NODEV and MS_NOEXEC (per-mount flags, kernel/fs/mount_namespace.h) are
// honoured, the "MS_MGC_VAL" magic in the top 16 bits is ignored as Linux
// does; any other flag (remount, bind, move, noatime, ...) is EINVAL: Keel
// does not implement it and does not pretend to.
//
// Propagation (one of MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, MS_SHARED, with
// MS_REC, MS_SILENT or per-mount flags but not MS_RDONLY, as Linux's
// do_change_type; the type and the data are not looked at): every Keel
// mount is private, with no peers to follow or feed, so MS_PRIVATE and
// MS_SLAVE (a slave of nothing is private on Linux too) ask for what
// already is, and MS_UNBINDABLE for nothing Keel could break (it has no
// bind mounts): all succeed. MS_SHARED is EINVAL, a deliberate divergence:
// Keel cannot propagate. The target must be the root of a mount in the
// caller's namespace (EINVAL), so `unshare -m` followed by
// `mount --make-rprivate /` works.
//
// The `data` options string is not parsed (tmpfs, ext2 and the pseudo
// file systems take none here); the source is ignored unless the type needs
// a disk, but /proc/<pid>/mounts shows it.
#include <cstdint>

#include "kernel/fs/block_device.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {
namespace {

using file_sys::UserPath;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr uint64_t kMsRdonly = 1, kMsNosuid = 2, kMsNodev = 4, kMsNoexec = 8, kMsSilent = 1 << 15,
                   kMsRelatime = 1 << 21;
constexpr uint64_t kMsRec = 1 << 14, kMsUnbindable = 1 << 17, kMsPrivate = 1 << 18,
                   kMsSlave = 1 << 19, kMsShared = 1 << 20;
constexpr uint64_t kMsPropagation = kMsUnbindable | kMsPrivate | kMsSlave | kMsShared;
// Per-mount flags Linux's path_mount takes out before do_change_type looks:
// MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_RELATIME,
// MS_STRICTATIME.
constexpr uint64_t kMsPerMount = 2 | 4 | 8 | 1024 | 2048 | kMsRelatime | (1 << 24);
constexpr uint64_t kMsMgcMask = 0xffff0000, kMsMgcVal = 0xc0ed0000;
constexpr uint32_t kMntForce = 1, kMntDetach = 2, kMntExpire = 4, kUmountNofollow = 8;

// The caller's mount namespace (every process has one).
fs::MountNamespace& NamespaceOf(Thread& self) { return *self.process().fs().mnt_ns(); }

// mount(2) with a propagation flag on `dir` (see the top of the file).
SyscallResult ChangePropagation(Thread& self, const RefPtr<Inode>& dir, uint64_t flags) {
  if (!NamespaceOf(self).IsMountRoot(*dir)) return Err(Errno::kEINVAL);
  uint64_t type = flags & ~(kMsRec | kMsSilent | kMsPerMount);
  if (type == 0 || (type & (type - 1)) != 0 || (type & ~kMsPropagation) != 0) {
    return Err(Errno::kEINVAL);
  }
  if (type == kMsShared) return Err(Errno::kEINVAL);  // no propagation in Keel
  return 0;
}

SyscallResult SysMount(Thread& self, ostd::vm::UserInPtr<const char> usource,
                       ostd::vm::UserInPtr<const char> utarget,
                       ostd::vm::UserInPtr<const char> utype, uint64_t flags, uint64_t) {
  if ((flags & kMsMgcMask) == kMsMgcVal) flags &= ~kMsMgcMask;
  // As Linux's ksys_mount: the type and the source are copied first (either
  // may be NULL; a bad pointer is EFAULT even where the type needs no source).
  // Empty strings are fine here (`mount --make-rprivate /` passes "").
  UserPath type_name;
  if (utype.addr() != 0) OSTD_TRY(type_name.Copy(utype, /*allow_empty=*/true));
  UserPath source;
  if (usource.addr() != 0) OSTD_TRY(source.Copy(usource, /*allow_empty=*/true));
  UserPath target;
  OSTD_TRY(target.Copy(utarget));
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, file_sys::ResolveAt(self, fs::kAtFdCwd, target.view(), true));
  if (!file_sys::Capable(self, Cap::kSysAdmin)) return Err(Errno::kEPERM);
  if ((flags & kMsPropagation) != 0) return ChangePropagation(self, dir, flags);
  if ((flags & ~(kMsRdonly | kMsNosuid | kMsNodev | kMsNoexec | kMsSilent | kMsRelatime)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if (utype.addr() == 0) return Err(Errno::kEINVAL);  // a new mount needs a type
  OSTD_TRY_ASSIGN(fs::FsType * type, fs::FindFsType(type_name.view()));
  fs::MountRequest req;
  req.read_only = (flags & kMsRdonly) != 0;
  req.covered_parent = dir->Parent();
  if (type->needs_device()) {
    if (usource.addr() == 0) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(RefPtr<Inode> node,
                    file_sys::ResolveAt(self, fs::kAtFdCwd, source.view(), true));
    if (node->type() != fs::InodeType::kBlockDevice) return Err(Errno::kENOTBLK);
    uint32_t major = fs::DevMajor(node->rdev()), minor = fs::DevMinor(node->rdev());
    if (major != fs::kVirtBlkMajor || minor % 16 != 0) return Err(Errno::kENXIO);
    req.device = fs::GetBlockDevice(minor / 16);
    if (req.device == nullptr) return Err(Errno::kENXIO);
  }
  // Linux finds this when it grafts the new root onto the target.
  if (!dir->is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY_ASSIGN(RefPtr<Inode> root, type->Mount(req));
  fs::MountSpec spec{.source = usource.addr() != 0 ? source.view() : std::string_view("none"),
                     .read_only = req.read_only,
                     .flags = ((flags & kMsNosuid) != 0 ? fs::kMountNosuid : 0) |
                              ((flags & kMsNodev) != 0 ? fs::kMountNodev : 0) |
                              ((flags & kMsNoexec) != 0 ? fs::kMountNoexec : 0)};
  ostd::Status added = NamespaceOf(self).Add(dir, root, *type, spec);
  if (!added) {
    type->Unmount(*root->fs()).IgnoreError();  // not attached: nothing else sees it
    return Err(added.error());
  }
  return 0;
}

SyscallResult SysUmount2(Thread& self, ostd::vm::UserInPtr<const char> utarget, uint32_t flags) {
  if (!file_sys::Capable(self, Cap::kSysAdmin)) return Err(Errno::kEPERM);
  if ((flags & ~(kMntForce | kMntDetach | kMntExpire | kUmountNofollow)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & kMntExpire) != 0 && (flags & (kMntForce | kMntDetach)) != 0) {
    return Err(Errno::kEINVAL);
  }
  UserPath target;
  OSTD_TRY(target.Copy(utarget));
  OSTD_TRY_ASSIGN(RefPtr<Inode> root, file_sys::ResolveAt(self, fs::kAtFdCwd, target.view(),
                                                          (flags & kUmountNofollow) == 0));
  OSTD_TRY(NamespaceOf(self).Remove(root));
  return 0;
}

}  // namespace

void RegisterMountSyscalls(SyscallTable& t) {
  t.Bind<sysno::mount, SysMount>();
  t.Bind<sysno::umount2, SysUmount2>();
}

}  // namespace kernel
