// The one seam between ostd's DMA API (ostd/io/dma.h) and how the platform
// makes memory reachable by devices. Internal to the TCB.
//
// Native x86 (dma_native.cc, the only backend today): no IOMMU is programmed,
// devices snoop the CPU caches, so a device address is the physical address,
// mapping changes nothing and a sync is an ordering fence.
//
// A confidential guest (TDX, the `cvm_guest` build setting) links a backend
// with the same functions instead: DmaMapCoherent converts the pages to
// shared (MapGPA, then setting the shared bit in the kernel's linear-map
// entries for them) and returns the address with the shared bit set;
// DmaUnmapCoherent converts them back (and re-accepts them) before they are
// freed; DmaMapStream allocates a shared bounce buffer and DmaSyncStream
// copies between it and the private frames in the direction synced. Nothing
// above this header changes.
#ifndef OSTD_IO_INTERNAL_DMA_BACKEND_H_
#define OSTD_IO_INTERNAL_DMA_BACKEND_H_

#include <cstdint>

#include "ostd/boot.h"
#include "ostd/io/dma.h"
#include "ostd/result.h"

namespace ostd::internal {

// Makes the frames [paddr, paddr + size) (page aligned, owned by the caller)
// reachable by devices as a coherent buffer; returns the device address of
// the first byte. ENOMEM if the platform cannot share them.
Result<uint64_t> DmaMapCoherent(Paddr paddr, uint64_t size);
// Undoes DmaMapCoherent; the frames may be freed afterwards.
void DmaUnmapCoherent(Paddr paddr, uint64_t size, uint64_t daddr);

// Maps the frames [paddr, paddr + size) for streaming DMA in `direction`;
// returns the device address of the first byte. ENOMEM as above.
Result<uint64_t> DmaMapStream(Paddr paddr, uint64_t size, dma::DmaDirection direction);
// Undoes DmaMapStream.
void DmaUnmapStream(Paddr paddr, uint64_t size, uint64_t daddr, dma::DmaDirection direction);
// Hands [offset, offset + len) of a stream mapping over in direction `which`
// (already checked against the mapping's direction and bounds).
void DmaSyncStream(Paddr paddr, uint64_t daddr, uint64_t offset, uint64_t len,
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
