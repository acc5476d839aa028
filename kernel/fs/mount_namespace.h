// Mount namespaces: which file-system instance is mounted on which
// directory, as the processes of one namespace see it (Linux's struct
// mnt_namespace), and the instances themselves, counted across namespaces.
//
// A process reaches its namespace through its FsContext (fs_context.h):
// fork shares it, clone(CLONE_NEWNS) and unshare(CLONE_NEWNS) give the
// process a copy. Linux keeps the namespace in nsproxy, but a task never
// shares its fs_struct with a task of another mount namespace (clone
// refuses CLONE_NEWNS|CLONE_FS, unshare(CLONE_NEWNS) implies CLONE_FS,
// setns needs an unshared fs_struct), so "same FsContext, same namespace"
// holds on Linux as well.
//
// A copy lists the same mounts: the same mount-point directories and the
// same file-system instances. Mounts and unmounts afterwards change one
// namespace only. A Keel path is an inode, not a (mount, dentry) pair, so
// the root and cwd of a process need no moving into the copy (Linux moves
// them to the copied mounts); what differs is only which mount points the
// path walk (vfs.cc) crosses, which it asks of the walking context's
// namespace.
//
// An instance (named by its root directory) is counted over every
// namespace that mounts it: umount2 in one namespace detaches it there, and
// FsType::Unmount runs only once the last namespace lets go, by umount2 or
// by dying with its last process. sync(2) reaches each instance once.
//
// Propagation: every Keel mount is private (no peer groups, no slaves), so
// a copy never sees later mounts of the original and the other way round,
// which is what `unshare -m` arranges on Linux with `mount --make-rprivate /`.
//
// Known divergences: no shared propagation (mount(MS_SHARED) is EINVAL), no
// bind or move mounts; rmdir of a directory that any namespace mounts on is
// EBUSY (Linux: only for the caller's namespace; the others lose the mount);
// the threads of a process share its namespace (unshare(CLONE_NEWNS) with
// several threads and clone(CLONE_THREAD|CLONE_NEWNS) are EINVAL); umount
// of a mount with open files or working directories inside is not EBUSY;
// no pivot_root(2). setns(2) (kernel/syscalls/setns.cc) joins a namespace
// by giving the process a new fs context in it.
#ifndef KERNEL_FS_MOUNT_NAMESPACE_H_
#define KERNEL_FS_MOUNT_NAMESPACE_H_

#include <atomic>
#include <cstdint>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/fs/path.h"
#include "kernel/fs/ref.h"
#include "ostd/result.h"
#include "ostd/task/mutex.h"
#include "ostd/util/vec.h"

namespace kernel::fs {

class FsType;

// Per-mount flags (Linux's MNT_NOSUID, MNT_NODEV, MNT_NOEXEC): exec ignores
// the set-user-ID and set-group-ID bits of files under a nosuid mount,
// device nodes under a nodev mount cannot be opened (EACCES), and files
// under a noexec mount can be neither executed (EACCES) nor mapped with
// PROT_EXEC (EPERM; mprotect to PROT_EXEC later is EACCES).
inline constexpr uint32_t kMountNosuid = 1, kMountNodev = 2, kMountNoexec = 4;

// What /proc/<pid>/mounts says about a mount besides where it is.
struct MountSpec {
  std::string_view source;  // mount(2)'s source ("none" if it had none)
  bool read_only = false;
  uint32_t flags = 0;  // kMount*
};

// One mount as a namespace lists it (a copy, for /proc/<pid>/mounts).
struct MountView {
  RefPtr<Inode> mountpoint;  // null for the root file system
  RefPtr<Inode> root;
  FsType* type = nullptr;
  bool read_only = false;
  Name source;
  uint32_t flags = 0;  // kMount*
};

class MountNamespace final : public RefCounted<MountNamespace> {
 public:
  // Most mounts one namespace holds (mount(2) says ENOSPC beyond, as
  // Linux's fs.mount-max).
  static constexpr size_t kMaxMounts = 64;

  // An empty namespace with a fresh namespace inode number.
  static ostd::Result<RefPtr<MountNamespace>> Create();
  explicit MountNamespace(uint32_t inum) : inum_(inum) {}
  // Detaches every mount; instances no other namespace holds are unmounted
  // (errors are only reported on the console). May block.
  ~MountNamespace();

  // The number /proc/<pid>/ns/mnt shows ("mnt:[N]").
  uint32_t inum() const { return inum_; }

  // A new namespace with the same mounts (CLONE_NEWNS). ENOMEM.
  ostd::Result<RefPtr<MountNamespace>> Copy() const;

  // Records that `root` (an instance of `type`) is mounted on `mountpoint`.
  // On failure (ENOSPC: this namespace or the instance table is full;
  // ENOMEM) nothing is recorded and the caller still owns the instance.
  ostd::Status Add(RefPtr<Inode> mountpoint, RefPtr<Inode> root, FsType& type,
                   const MountSpec& spec);
  // Records `root` as the root file system (root=, or the initramfs tmpfs):
  // unmounting it is EBUSY.
  ostd::Status SetRoot(RefPtr<Inode> root, FsType& type, const MountSpec& spec);
  // Detaches the newest mount whose root is `root`; if no namespace holds
  // the instance any more, unmounts it and returns FsType::Unmount's status.
  // EINVAL if `root` is not the root of a mount here; EBUSY for the root
  // file system and for a mount with another mounted inside it (on a
  // directory of the same file system). Open files and working directories
  // inside do not make it busy: they keep the inodes alive.
  ostd::Status Remove(const RefPtr<Inode>& root);

  // The root of the newest mount on `dir`, or null. Cheap when `dir` is not
  // a mount boundary anywhere (the walk asks at every step).
  RefPtr<Inode> MountedOn(const Inode& dir) const;
  // The directory the mount whose root is `root` covers, or null (not a
  // mount root here, or the root file system).
  RefPtr<Inode> CoveredBy(const Inode& root) const;
  // The namespace's root directory, as setns(2) puts the joining process's
  // root and cwd there (Linux's mntns_install looks up "/" from the root
  // mount with LOOKUP_DOWN): the root file system's root, or the root of
  // what is mounted on it. Null if no root file system is recorded.
  RefPtr<Inode> RootDir() const;
  // True if `dir` is the root of a mount here (the root file system too).
  bool IsMountRoot(const Inode& dir) const;
  // The kMount* flags of the newest mount here of the instance `fs` holds
  // (0 if none). Keel has no bind mounts, so an instance is mounted once
  // per namespace except for the pseudo file systems that share one
  // instance (proc, sysfs): those take the newest mount's flags. Cheap when
  // no mount here has flags.
  uint32_t FlagsOf(const FileSystem* fs) const;
  // The mounts, oldest first. ENOMEM.
  ostd::Result<ostd::Vec<MountView>> List() const;

 private:
  struct Entry {
    RefPtr<Inode> mountpoint;
    RefPtr<Inode> root;
    FsType* type = nullptr;
    bool read_only = false;
    Name source;
    uint32_t flags = 0;
  };

  ostd::Status AddEntry(RefPtr<Inode> mountpoint, RefPtr<Inode> root, FsType& type,
                        const MountSpec& spec);

  const uint32_t inum_;
  mutable ostd::Mutex lock_;
  ostd::Vec<Entry> mounts_ ABSL_GUARDED_BY(lock_);  // oldest first
  std::atomic<uint32_t> flagged_{0};                // entries with flags != 0
};

// The namespace of init and of the kernel's own lookups (FsContext::Create);
// null before InitMountNamespaces().
RefPtr<MountNamespace> InitialMountNamespace();
// Creates the initial namespace (vfs.h's Init and InitOnRoot call it).
ostd::Status InitMountNamespaces();

// The inode number of a new namespace of any kind (/proc/<pid>/ns/*): one
// sequence from 0xf0000000, as Linux's proc_inum_ida.
uint32_t AllocNamespaceInum();

// The type of the mounted instance holding `fs` (any namespace), or null.
FsType* MountedType(FileSystem& fs);
// Syncs every mounted instance once (sync(2)); the first error is returned.
ostd::Status SyncAllMounts();

}  // namespace kernel::fs

#endif  // KERNEL_FS_MOUNT_NAMESPACE_H_
