// The driver model in sysfs, laid out as Linux lays it out:
//
//   /sys/devices/pci0000:00/0000:00:03.0/   vendor device subsystem_vendor
//       subsystem_device class revision irq modalias uevent, driver -> the
//       bound driver's directory, block/vdX/ for a disk on this function
//   /sys/bus/pci/devices/SLOT  -> ../../../devices/pci0000:00/SLOT
//   /sys/bus/pci/drivers/NAME/ bind unbind (write a slot name, as root),
//       SLOT -> ../../../../devices/pci0000:00/SLOT per bound function
//   /sys/class/block/vdX and /sys/block/vdX -> the disk's directory, which
//       holds dev size ro removable uevent and device -> its function
//
// Differences kept from Linux: a disk sits directly under its PCI function
// (Linux puts a virtioN device between them), and only present disks are
// listed. Everything is generated when read, so it follows binds, unbinds
// and removals.
#ifndef KERNEL_DEVICE_SYSFS_DEVICES_H_
#define KERNEL_DEVICE_SYSFS_DEVICES_H_

#include "ostd/result.h"

namespace kernel::device {

// Registers the directories above as a sysfs part (pseudofs/sysfs.h): call
// before /sys is mounted.
ostd::Status RegisterSysfsDevices();

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_SYSFS_DEVICES_H_
