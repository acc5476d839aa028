// A minimal sysfs: the directories other pseudo file systems are mounted
// on, /sys/kernel/tracing (tracefs) and /sys/kernel/debug (debugfs). Keel
// has no kobjects, so nothing else is listed. One instance: mounting sysfs
// again while it is mounted is EBUSY (Linux would share the instance).
#ifndef KERNEL_PSEUDOFS_SYSFS_H_
#define KERNEL_PSEUDOFS_SYSFS_H_

#include "ostd/result.h"

namespace kernel::pseudofs {

// Registers the "sysfs" type and mounts it on /sys (which must exist).
ostd::Status MountSys();

}  // namespace kernel::pseudofs

#endif  // KERNEL_PSEUDOFS_SYSFS_H_
