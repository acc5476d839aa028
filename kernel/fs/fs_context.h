// Per-process file-system state: root and current directory, umask
// (CLONE_FS shares it; fork copies it with Clone()).
#ifndef KERNEL_FS_FS_CONTEXT_H_
#define KERNEL_FS_FS_CONTEXT_H_

#include <cstdint>

#include "kernel/fs/inode.h"
#include "kernel/fs/ref.h"
#include "ostd/result.h"
#include "ostd/sync.h"

namespace kernel::fs {

class FsContext : public RefCounted<FsContext> {
 public:
  // Root and cwd at the global root (fs::Init() must have run).
  static ostd::Result<RefPtr<FsContext>> Create();
  FsContext(RefPtr<Inode> root, RefPtr<Inode> cwd) : root_(std::move(root)), cwd_(std::move(cwd)) {}

  // A copy for fork (without CLONE_FS).
  ostd::Result<RefPtr<FsContext>> Clone() const;

  RefPtr<Inode> root() const;
  RefPtr<Inode> cwd() const;
  void set_cwd(RefPtr<Inode> dir);
  void set_root(RefPtr<Inode> dir);
  uint32_t umask() const;
  // Sets the umask (masked to 0777); returns the old one.
  uint32_t SetUmask(uint32_t mask);

 private:
  mutable ostd::SpinLock lock_;
  RefPtr<Inode> root_ ABSL_GUARDED_BY(lock_);
  RefPtr<Inode> cwd_ ABSL_GUARDED_BY(lock_);
  uint32_t umask_ ABSL_GUARDED_BY(lock_) = 022;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_FS_CONTEXT_H_
