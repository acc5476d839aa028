// The interface a disk driver implements (a disk in 512-byte sectors), kept
// apart from the /dev/vdX files (block_device.h) so pure logic above it (the
// buffer cache, ext2) builds and is tested on the host with an in-memory disk.
#ifndef KERNEL_FS_BLOCK_IO_H_
#define KERNEL_FS_BLOCK_IO_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel::fs {

// The size of a sector, the unit BlockDevice addresses.
inline constexpr uint64_t kSectorSize = 512;

// A disk in 512-byte sectors, as a driver provides it. Calls may block and
// may come from several tasks at once.
class BlockDevice {
 public:
  virtual ~BlockDevice() = default;
  // The size in 512-byte sectors.
  virtual uint64_t sectors() const = 0;
  virtual bool read_only() const = 0;
  // Whole sectors from `sector` on; the span's size is a multiple of 512.
  virtual ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) = 0;
  virtual ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) = 0;
  // Makes completed writes durable.
  virtual ostd::Status Flush() = 0;
  // False once the device is gone (its driver was removed): I/O is EIO then.
  virtual bool present() const { return true; }
  // The device's directory under /sys/devices ("pci0000:00/0000:00:04.0"),
  // or empty for a device without one (a RAM disk).
  virtual std::string_view sysfs_parent() const { return {}; }
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_BLOCK_IO_H_
