// Per-process file-system state: root and current directory, umask, and
// the mount namespace the process sees (CLONE_FS shares it; fork copies it
// with Clone(), which keeps the namespace unless CLONE_NEWNS asks for a copy
// of it; see mount_namespace.h for why the namespace lives here).
#ifndef KERNEL_FS_FS_CONTEXT_H_
#define KERNEL_FS_FS_CONTEXT_H_

#include <cstdint>

#include "kernel/fs/inode.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/object_id.h"
#include "kernel/fs/ref.h"
#include "ostd/result.h"
#include "ostd/sync.h"

namespace kernel::fs {

class FsContext : public RefCounted<FsContext> {
 public:
  // Root and cwd at the global root, in the initial mount namespace
  // (fs::Init() must have run).
  static ostd::Result<RefPtr<FsContext>> Create();
  // Without a namespace no mount point is crossed (tests on a private root).
  FsContext(RefPtr<Inode> root, RefPtr<Inode> cwd, RefPtr<MountNamespace> ns = nullptr)
      : root_(std::move(root)), cwd_(std::move(cwd)), mnt_ns_(std::move(ns)) {}

  // This context's object id (object_id.h; kcmp's KCMP_FS).
  uint64_t id() const { return id_; }

  // A copy for fork (without CLONE_FS); with `new_mount_ns`, in a copy of
  // the mount namespace (CLONE_NEWNS). ENOMEM.
  ostd::Result<RefPtr<FsContext>> Clone(bool new_mount_ns = false) const;

  // The mount namespace (fixed for the context's life; null only for
  // contexts made without one). Internally locked.
  MountNamespace* mnt_ns() const { return mnt_ns_.get(); }

  RefPtr<Inode> root() const;
  RefPtr<Inode> cwd() const;
  void set_cwd(RefPtr<Inode> dir);
  void set_root(RefPtr<Inode> dir);
  uint32_t umask() const;
  // Sets the umask (masked to 0777); returns the old one.
  uint32_t SetUmask(uint32_t mask);

 private:
  const uint64_t id_ = NextObjectId();
  mutable ostd::SpinLock lock_;
  RefPtr<Inode> root_ ABSL_GUARDED_BY(lock_);
  RefPtr<Inode> cwd_ ABSL_GUARDED_BY(lock_);
  uint32_t umask_ ABSL_GUARDED_BY(lock_) = 022;
  const RefPtr<MountNamespace> mnt_ns_;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_FS_CONTEXT_H_
