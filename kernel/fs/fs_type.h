// File-system types by name (what mount(2)'s `fstype` names). What is
// mounted where is a mount namespace's business (mount_namespace.h).
//
// "tmpfs" is built in; other types register at boot: "ext2" (ext2_vfs.h's
// RegisterExt2FsType), "proc" (procfs.h), "sysfs" (pseudofs/sysfs.h),
// "tracefs" and "debugfs" (tracing/tracefs.h). Linux errnos: ENODEV for an unknown type, ENOTBLK
// when a type that needs a disk gets a source that is not a block device,
// ENXIO for a block device node with no disk behind it.
#ifndef KERNEL_FS_FS_TYPE_H_
#define KERNEL_FS_FS_TYPE_H_

#include <array>
#include <string_view>

#include "kernel/fs/block_io.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::fs {

// What a mount asks of a file-system type.
struct MountRequest {
  BlockDevice* device = nullptr;  // the disk (types with needs_device() only)
  bool read_only = false;
  RefPtr<Inode> covered_parent;  // the parent of the mount point ("..")
};

class FsType {
 public:
  virtual std::string_view name() const = 0;
  // Whether the mount source must be a block device.
  virtual bool needs_device() const = 0;
  // A new instance; returns its root directory.
  virtual ostd::Result<RefPtr<Inode>> Mount(const MountRequest& req) = 0;
  // Writes back what the instance holds in memory (sync, syncfs, fsync).
  virtual ostd::Status Sync(FileSystem& fs) = 0;
  // Called once the instance's last mount, in any mount namespace, is gone.
  virtual ostd::Status Unmount(FileSystem& fs) = 0;

 protected:
  ~FsType() = default;
};

// Adds `type` (static storage). EEXIST for a name already taken, ENOSPC when
// the registry is full.
ostd::Status RegisterFsType(FsType& type);
// The type named `name`; ENODEV if none.
ostd::Result<FsType*> FindFsType(std::string_view name);
// The registered types in registration order, null after the last
// (/proc/filesystems). Types are never unregistered.
inline constexpr size_t kMaxFsTypes = 16;
std::array<const FsType*, kMaxFsTypes> RegisteredFsTypes();

}  // namespace kernel::fs

#endif  // KERNEL_FS_FS_TYPE_H_
