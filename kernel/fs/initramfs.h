// Unpacking the boot initramfs (cpio newc) into the root tmpfs.
#ifndef KERNEL_FS_INITRAMFS_H_
#define KERNEL_FS_INITRAMFS_H_

#include <cstdint>
#include <span>

#include "ostd/result.h"

namespace kernel::fs {

// Creates the archive's directories, regular files (hard links become
// copies), symlinks, FIFOs and character devices under the root (fs::Init()
// first), with their modes and owners (mtimes are
// not restored). Existing directories are kept;
// existing files are replaced. EINVAL for a corrupt archive (entries before
// the corruption stay); ENOMEM.
ostd::Status UnpackInitramfs(std::span<const uint8_t> archive);

}  // namespace kernel::fs

#endif  // KERNEL_FS_INITRAMFS_H_
