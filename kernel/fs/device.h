// Character devices under /dev: null (1,3), zero (1,5), full (1,7),
// random (1,8), urandom (1,9), tty (5,0), console (5,1), hwrng (10,183;
// hwrng.h), and hvc0 (229,0; tty.h) when a virtio-console is there.
#ifndef KERNEL_FS_DEVICE_H_
#define KERNEL_FS_DEVICE_H_

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::fs {

// Opens the device `inode->rdev()` names. ENXIO for an unknown device.
ostd::Result<RefPtr<File>> OpenDevice(const RefPtr<Inode>& inode, uint32_t flags);
// Creates the standard nodes in `dev`.
ostd::Status CreateDeviceNodes(Inode& dev);

}  // namespace kernel::fs

#endif  // KERNEL_FS_DEVICE_H_
