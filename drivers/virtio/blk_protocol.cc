#include "drivers/virtio/blk_protocol.h"

namespace drivers::virtio {

using ostd::Err;
using ostd::Errno;

ostd::Status BlkStatusToResult(uint8_t status) {
  switch (status) {
    case kBlkStatusOk:
      return {};
    case kBlkStatusUnsupp:
      return Err(Errno::kEOPNOTSUPP);
    default:
      return Err(Errno::kEIO);
  }
}

ostd::Status CheckBlkRange(uint64_t sector, uint64_t bytes, uint64_t capacity) {
  if (bytes == 0 || bytes % kSectorSize != 0) return Err(Errno::kEINVAL);
  uint64_t count = bytes / kSectorSize;
  if (sector > capacity || count > capacity - sector) return Err(Errno::kEINVAL);
  return {};
}

ostd::Status CheckBlkWritten(uint32_t written, uint32_t data_in) {
  if (uint64_t{written} != uint64_t{data_in} + 1) return Err(Errno::kEIO);
  return {};
}

}  // namespace drivers::virtio
