// A minimal sysfs: the directories other pseudo file systems are mounted
// on, /sys/kernel/tracing (tracefs) and /sys/kernel/debug (debugfs), the
// /sys/bus directory, and what other parts of the kernel add at boot (the
// driver model's bus, devices and class directories:
// kernel/device/sysfs_devices.h; /sys/module; the perf event sources:
// kernel/tracing/perf_event.h). Keel has no kobjects: each part builds its
// own directories. One instance: mounting
// sysfs again while it is mounted is EBUSY (Linux would share the instance).
#ifndef KERNEL_PSEUDOFS_SYSFS_H_
#define KERNEL_PSEUDOFS_SYSFS_H_

#include "kernel/fs/inode.h"
#include "kernel/pseudofs/pseudo_fs.h"
#include "ostd/result.h"

namespace kernel::pseudofs {

// What a part adds to: /sys itself and /sys/bus (shared by the parts that
// add a bus type).
struct SysfsDirs {
  fs::RefPtr<StaticDir> root;
  fs::RefPtr<StaticDir> bus;
};
// Adds entries to /sys while MountSys builds it (before anything can reach
// them); `fs` is sysfs's file system.
using SysfsPart = ostd::Status (*)(fs::FileSystem& fs, const SysfsDirs& dirs);
// The most parts.
inline constexpr size_t kMaxSysfsParts = 4;
// Registers `part`, to be built by MountSys. ENOSPC past kMaxSysfsParts.
ostd::Status AddSysfsPart(SysfsPart part);

// Registers the "sysfs" type and mounts it on /sys (which must exist).
ostd::Status MountSys();

}  // namespace kernel::pseudofs

#endif  // KERNEL_PSEUDOFS_SYSFS_H_
