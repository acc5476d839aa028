// The native DMA backend (ostd/io/internal/dma_backend.h): no IOMMU, devices
// snoop the CPU caches, device addresses are physical addresses.
#include <atomic>

#include "ostd/io/internal/dma_backend.h"

namespace ostd::internal {

Result<uint64_t> DmaMapCoherent(Paddr paddr, uint64_t /*size*/) { return paddr; }

void DmaUnmapCoherent(Paddr /*paddr*/, uint64_t /*size*/, uint64_t /*daddr*/) {
  // Nothing to undo; the fence orders the owner's last accesses before the
  // frames can be reused.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

Result<uint64_t> DmaMapStream(Paddr paddr, uint64_t /*size*/, dma::DmaDirection /*direction*/) {
  return paddr;
}

void DmaUnmapStream(Paddr /*paddr*/, uint64_t /*size*/, uint64_t /*daddr*/,
                    dma::DmaDirection /*direction*/) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void DmaSyncStream(Paddr /*paddr*/, uint64_t /*daddr*/, uint64_t /*offset*/, uint64_t /*len*/,
                   dma::DmaDirection /*which*/) {
  // x86 DMA is cache-coherent: the CPU's stores before this point are visible
  // to a device told about them afterwards, and loads after it see what the
  // device wrote before its completion was observed. A full fence also orders
  // the accesses against MMIO doorbells and completion reads.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace ostd::internal
