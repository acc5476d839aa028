// tmpfs: the in-memory file system that is Keel's root. File data lives in a
// sparse page cache of untyped frames (UFrame), so GetPage() hands mmap the
// very frames read() and write() use.
#ifndef KERNEL_FS_TMPFS_H_
#define KERNEL_FS_TMPFS_H_

#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/fs/ref.h"
#include "ostd/result.h"

namespace kernel::fs {

// Largest tmpfs file: the page map covers 2^27 pages (512 GiB).
inline constexpr uint64_t kTmpfsMaxFileSize = uint64_t{1} << 39;

// An anonymous tmpfs regular file for memfd_create: no directory entry
// (st_nlink 0), named "memfd:<name>" (Inode::anon_name), mode `perm`, with
// `seals` as its first seals. ENOMEM.
ostd::Result<RefPtr<Inode>> CreateMemfdInode(std::string_view name, uint32_t perm, uint32_t seals,
                                             uint32_t uid, uint32_t gid);

// A new tmpfs instance; returns its root directory (mode 0755 | perm given).
ostd::Result<RefPtr<Inode>> CreateTmpfs(uint32_t root_perm = 0755);
// A new ramfs instance: tmpfs's files without its size limit, reporting
// RAMFS_MAGIC and no block counts (Linux's simple_statfs).
ostd::Result<RefPtr<Inode>> CreateRamfs(uint32_t root_perm = 0755);

}  // namespace kernel::fs

#endif  // KERNEL_FS_TMPFS_H_
