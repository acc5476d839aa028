// The one seam between ostd's DMA API (ostd/io/dma.h) and how the platform
// makes memory reachable by devices. Internal to the TCB.
//
// One backend, ostd/io/dma_native.cc, for both platforms. Natively (no IOMMU
// is programmed, devices snoop the CPU caches) a device address is the
// physical address, mapping changes nothing and a sync is an ordering fence.
// In a TD (internal::SharedPteMark() != 0) coherent buffers are converted to
// shared memory while they live, and streams bounce through shared frames of
// their own, copied at each sync; device addresses never carry the shared
// bit. Nothing above this header changes.
#ifndef OSTD_IO_INTERNAL_DMA_BACKEND_H_
#define OSTD_IO_INTERNAL_DMA_BACKEND_H_

#include <cstdint>

#include "ostd/boot.h"
#include "ostd/io/dma.h"
#include "ostd/result.h"

namespace ostd::internal {

// Makes the frames [paddr, paddr + size) (page aligned, owned by the caller)
// reachable by devices as a coherent buffer, zeroed; returns the device
// address of the first byte. ENOMEM (no frame to split a large page), EIO
// (the host refused). On failure the caller frees the frames, unless `*lost`
// is set: their conversion could not be undone and they must never be reused.
Result<uint64_t> DmaMapCoherent(Paddr paddr, uint64_t size, bool* lost);
// Undoes DmaMapCoherent. True if the frames may be freed afterwards; false
// if the platform could not take them back from devices (never reuse them).
bool DmaUnmapCoherent(Paddr paddr, uint64_t size, uint64_t daddr);

// Maps the frames [paddr, paddr + size) for streaming DMA in `direction`;
// returns the device address of the first byte (in a TD, of a shared bounce
// buffer that starts as a copy of the frames). ENOMEM (no frames for the
// bounce buffer or a split), EIO (the host refused).
Result<uint64_t> DmaMapStream(Paddr paddr, uint64_t size, dma::DmaDirection direction);
// Undoes DmaMapStream (and frees a bounce buffer); the frames are the
// caller's again.
void DmaUnmapStream(Paddr paddr, uint64_t size, uint64_t daddr, dma::DmaDirection direction);
// Hands [offset, offset + len) of a stream mapping over in direction `which`
// (already checked against the mapping's direction and bounds): in a TD, a
// copy into the bounce buffer (kToDevice) or out of it (kFromDevice).
// EINVAL for kBidirectional in a TD, where one call cannot say which way to
// copy; natively any direction is a fence.
Status DmaSyncStream(Paddr paddr, uint64_t daddr, uint64_t offset, uint64_t len,
                     dma::DmaDirection which);

}  // namespace ostd::internal

namespace ostd::dma {

// TCB-only: the numbers behind DMA handles, for ostd's tests.
struct DmaAccess {
  // The device address as a number.
  static uint64_t Value(const DeviceAddr& addr) { return addr.value_; }
  // The physical address of a coherent buffer's first byte (0 if empty).
  static Paddr PaddrOf(const DmaCoherent& buf) { return buf.region_.paddr_; }
  // The physical address of a stream's first byte (0 if empty).
  static Paddr PaddrOf(const DmaStream& buf) { return buf.region_.paddr_; }
};

}  // namespace ostd::dma

#endif  // OSTD_IO_INTERNAL_DMA_BACKEND_H_
