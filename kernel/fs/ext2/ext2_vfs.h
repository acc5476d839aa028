// ext2 under the VFS: a mounted Volume as a FileSystem whose inodes are the
// on-disk inodes (st_ino is the ext2 inode number, hard links share one
// Inode object).
//
// One lock per mount (the FileSystem's ns_lock) serializes every call into
// the Volume. Inodes stay in memory from their first lookup until unmount;
// an inode whose last link goes while it is in memory keeps its blocks until
// unmount, as an open unlinked file keeps them on Linux until its last close.
// chmod/chown/utimensat change the in-memory attributes; SyncExt2 and
// UnmountExt2 write them to their disk inodes. Not supported: file-backed
// mmap (GetPage is ENODEV), RENAME_EXCHANGE and RENAME_WHITEOUT (EINVAL, as
// Linux's ext2), fallocate.
#ifndef KERNEL_FS_EXT2_EXT2_VFS_H_
#define KERNEL_FS_EXT2_EXT2_VFS_H_

#include "kernel/fs/block_io.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::fs {

// Mounts the ext2 file system on `dev` (which outlives the mount); returns
// its root directory. Errors as ext2::Volume::Mount.
// `covered_parent`, if set, is what ".." of the root leads to (the parent of
// the mount point).
ostd::Result<RefPtr<Inode>> MountExt2(BlockDevice& dev, bool read_only,
                                      RefPtr<Inode> covered_parent = {});
// True if `fs` is a mounted ext2.
bool IsExt2(FileSystem& fs);
// Writes back in-memory attributes, dirty blocks and the superblock, then
// flushes the device (sync, syncfs, fsync). A no-op for other file systems.
ostd::Status SyncExt2(FileSystem& fs);
// Frees inodes whose links are gone, syncs and marks the file system clean.
// The mount's inodes must no longer be used afterwards.
ostd::Status UnmountExt2(FileSystem& fs);
// Registers "ext2" with the file-system types (fs_type.h) for mount(2).
ostd::Status RegisterExt2FsType();

}  // namespace kernel::fs

#endif  // KERNEL_FS_EXT2_EXT2_VFS_H_
