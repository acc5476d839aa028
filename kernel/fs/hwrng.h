// The hardware random number generator behind /dev/hwrng (misc device
// 10,183), as Linux's hw_random core: one device at a time, registered by its
// driver at boot; registering it also seeds the kernel's generator
// (random.h) with its bytes.
//
// Reads of /dev/hwrng go to the device, blocking the reader until it
// answers; with no device registered they fail with ENODEV, as on Linux.
// It opens read-only (O_WRONLY or O_RDWR: EINVAL). Kept divergence: an O_NONBLOCK read also waits
// for the device (a virtio-rng answers in microseconds) instead of saying EAGAIN when the device
// has nothing buffered.
#ifndef KERNEL_FS_HWRNG_H_
#define KERNEL_FS_HWRNG_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"
#include "ostd/util/box.h"

namespace kernel::fs {

inline constexpr uint32_t kHwRngMajor = 10;
inline constexpr uint32_t kHwRngMinor = 183;

class HwRng {
 public:
  virtual ~HwRng() = default;
  // Fills a non-empty prefix of `dst` (or none if `dst` is empty); returns
  // its length. May block; task context.
  virtual ostd::Result<size_t> Read(std::span<uint8_t> dst) = 0;
  // Linux's name for the device, e.g. "virtio_rng.0".
  virtual std::string_view name() const = 0;
  // False while the device is gone (its driver was removed): reads are
  // ENODEV then, and the current device is "none".
  virtual bool present() const { return true; }
};

// Makes `rng` the current device for good and mixes kSeedBytes of its output
// into the kernel's generator. EBUSY if a device is registered already;
// the device's error if it cannot give the seed (it is not registered then).
inline constexpr size_t kHwRngSeedBytes = 64;
ostd::Status RegisterHwRng(ostd::Box<HwRng> rng);

// The current device's name, or "none".
std::string_view CurrentHwRngName();

// Opens /dev/hwrng.
ostd::Result<RefPtr<File>> OpenHwRng(const RefPtr<Inode>& inode, uint32_t flags);

}  // namespace kernel::fs

#endif  // KERNEL_FS_HWRNG_H_
