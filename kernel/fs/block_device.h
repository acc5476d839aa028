// Block devices under /dev (vda, vdb, ...): a registry the kernel fills at
// boot with the disks its drivers found, and the file that reads and writes
// one at any byte offset (read(2)/write(2)/pread/pwrite/lseek), as Linux's
// block special files do without a page cache: unaligned writes read the
// partial sectors first (read-modify-write).
//
// Linux behaviour kept: reads at or past the end return 0 bytes, a write at
// or past the end is ENOSPC and one that crosses it is cut short, SEEK_END is
// relative to the device size; stat's st_size is 0 (as on Linux). Writes to
// a read-only disk are EROFS; device I/O errors are EIO.
#ifndef KERNEL_FS_BLOCK_DEVICE_H_
#define KERNEL_FS_BLOCK_DEVICE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/block_io.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"
#include "ostd/util/box.h"

namespace kernel::fs {

// The major number of /dev/vdX (minor 16 * X, as Linux numbers virtio disks
// with room for partitions).
inline constexpr uint32_t kVirtBlkMajor = 254;
// Disks the registry holds.
inline constexpr size_t kMaxBlockDevices = 8;

// Registers `dev` as the next /dev/vdX and returns X (0 for vda). The device
// lives until shutdown. ENOSPC after kMaxBlockDevices.
ostd::Result<size_t> RegisterBlockDevice(ostd::Box<BlockDevice> dev);
// The registered device `index` (nullptr if none); valid until shutdown.
BlockDevice* GetBlockDevice(size_t index);
// The registered device named `name` ("vda"), or nullptr.
BlockDevice* FindBlockDevice(std::string_view name);
// Creates /dev/vdX (block special, 0660, root) for every registered disk.
ostd::Status CreateBlockDeviceNodes(Inode& dev);
// Opens the block special file `inode`. ENXIO: no such disk.
ostd::Result<RefPtr<File>> OpenBlockDevice(const RefPtr<Inode>& inode, uint32_t flags);

}  // namespace kernel::fs

#endif  // KERNEL_FS_BLOCK_DEVICE_H_
