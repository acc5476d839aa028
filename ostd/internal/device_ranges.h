// What ostd's own device discovery (ostd/io/pci.cc) lets untrusted owners
// reach: the allow-lists behind IoMem<Insensitive>::Acquire and IoPort::Acquire.
// Declared here for the core (io_port.cc), defined in ostd/io/pci.cc.
#ifndef OSTD_INTERNAL_DEVICE_RANGES_H_
#define OSTD_INTERNAL_DEVICE_RANGES_H_

#include <cstdint>

#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::internal {

// OK if [paddr, paddr + size) lies inside one assigned memory BAR of a
// function found by the PCI scan and overlaps none of the MSI-X tables and
// pending-bit arrays the scan found. EACCES otherwise; EINVAL for size 0,
// EOVERFLOW if the range wraps. Scans PCI on first use.
Status CheckDeviceMemory(Paddr paddr, uint64_t size);

// True if [port, port + width) lies inside one assigned I/O BAR of a function
// found by the PCI scan. Scans PCI on first use.
bool IsPciIoBarRange(uint16_t port, uint16_t width);

// Builds the IoMem range allocator (memory map, ACPI device tables) and cuts
// every sensitive device range (APICs, HPET, ECAM, DMAR units) out of the
// write-back linear map. Boot CPU, once, after the heap and before the other
// CPUs start. Defined in ostd/io/io_mem.cc.
void InitDeviceMemory();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_DEVICE_RANGES_H_
