// The drivers built into the kernel, registered with their buses at boot.
// A new driver plugs in by adding itself to the list in builtin_drivers.cc.
#ifndef KERNEL_DEVICE_BUILTIN_DRIVERS_H_
#define KERNEL_DEVICE_BUILTIN_DRIVERS_H_

#include "ostd/result.h"

namespace kernel::device {

// Registers every built-in driver, which binds each to the devices it
// matches. A driver that cannot register is reported and skipped. Call once,
// before the file system makes /dev (it lists the disks found). Task context.
void RegisterBuiltinDrivers();

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_BUILTIN_DRIVERS_H_
