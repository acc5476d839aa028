// The virtio-blk request format (virtio 1.2, 5.2.6) and the checks around it,
// as pure logic the host tests cover: request validation against the
// device's capacity, and what a status byte from the device means.
#ifndef DRIVERS_VIRTIO_BLK_PROTOCOL_H_
#define DRIVERS_VIRTIO_BLK_PROTOCOL_H_

#include <cstdint>

#include "ostd/pod.h"
#include "ostd/result.h"

namespace drivers::virtio {

inline constexpr uint32_t kSectorSize = 512;

// virtio-blk feature bits (5.2.3).
inline constexpr uint64_t kBlkFeatureRo = uint64_t{1} << 5;
inline constexpr uint64_t kBlkFeatureFlush = uint64_t{1} << 9;

// Request types.
inline constexpr uint32_t kBlkTypeIn = 0;     // read
inline constexpr uint32_t kBlkTypeOut = 1;    // write
inline constexpr uint32_t kBlkTypeFlush = 4;  // flush

// Status bytes the device writes last.
inline constexpr uint8_t kBlkStatusOk = 0;
inline constexpr uint8_t kBlkStatusIoErr = 1;
inline constexpr uint8_t kBlkStatusUnsupp = 2;

// The header the device reads first (struct virtio_blk_req's first fields).
struct BlkHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
  OSTD_POD(BlkHeader, type, reserved, sector);
};

// What a completed request's status byte means: OK; EIO for IOERR and any
// value the specification does not define (a misbehaving device);
// EOPNOTSUPP for UNSUPP.
ostd::Status BlkStatusToResult(uint8_t status);

// Checks a transfer of `bytes` starting at `sector` on a device of
// `capacity` sectors: EINVAL unless bytes is a non-zero multiple of the
// sector size and the whole range lies on the device (no wrap-around).
ostd::Status CheckBlkRange(uint64_t sector, uint64_t bytes, uint64_t capacity);

// Checks the length a device reported for a finished request whose
// device-writable part was `data_in` bytes of data plus the status byte:
// EIO unless it covers all of them (a short read would hand the caller
// stale bytes as data).
ostd::Status CheckBlkWritten(uint32_t written, uint32_t data_in);

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_BLK_PROTOCOL_H_
