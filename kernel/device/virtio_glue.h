// The virtio drivers (drivers/virtio) as PCI drivers of Keel's driver model,
// each glued to the kernel object it serves: virtio-blk disks become
// /dev/vdX block devices, the first virtio-rng device /dev/hwrng (and seed
// for the kernel's generator), the first virtio-console port /dev/hvc0.
//
// The kernel objects outlive the binding: on remove (unbind) each closes its
// RemovalGate, waits for the users inside, and drops the driver, so I/O on a
// removed disk is EIO, /dev/hwrng reads are ENODEV and hvc0 output is
// dropped; a later bind of the same function (or, for the rng and console,
// any such function) brings the same object back.
#ifndef KERNEL_DEVICE_VIRTIO_GLUE_H_
#define KERNEL_DEVICE_VIRTIO_GLUE_H_

#include "kernel/device/pci_bus.h"

namespace kernel::device {

PciDriver& VirtioBlkDriver();      // "virtio-blk"
PciDriver& VirtioRngDriver();      // "virtio-rng"
PciDriver& VirtioConsoleDriver();  // "virtio-console"

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_VIRTIO_GLUE_H_
