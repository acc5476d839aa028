// A virtio split virtqueue (virtio 1.2, 2.7) on ostd DMA memory: the
// descriptor table, the available ring and the used ring in one DmaCoherent
// buffer, with SplitQueueState doing the bookkeeping and the checks on what
// the device writes back.
//
// Not thread-safe: the owner serialises calls (the block driver holds a spin
// lock, since completions are reaped in its interrupt handler).
#ifndef DRIVERS_VIRTIO_VIRTQUEUE_H_
#define DRIVERS_VIRTIO_VIRTQUEUE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "drivers/virtio/pci_transport.h"
#include "drivers/virtio/queue_state.h"
#include "ostd/io/dma.h"
#include "ostd/result.h"

namespace drivers::virtio {

// One buffer of a chain: where the device finds it, its length, and whether
// the device writes it (else reads it).
struct Buffer {
  ostd::dma::DeviceAddr addr;
  uint32_t len = 0;
  bool device_writes = false;
};

class Virtqueue {
 public:
  // The most buffers in one chain.
  static constexpr size_t kMaxChain = 8;

  // A queue of `size` entries (a power of two up to kMaxQueueSize) in new
  // zeroed DMA memory. EINVAL for a bad size; ENOMEM.
  static ostd::Result<Virtqueue> Create(uint16_t size);

  uint16_t size() const { return state_.size(); }
  // Where the device finds the three parts (for PciTransport::SetupQueue).
  ostd::Result<QueueAddrs> addrs() const;

  // Writes `chain` (1..kMaxChain buffers, device-readable ones first, as
  // virtio requires) into free descriptors and publishes it in the available
  // ring. Returns the head descriptor, the token its completion carries.
  // ENOSPC: not enough free descriptors (retry after completions); EINVAL: a
  // bad chain; EIO: the queue is broken.
  ostd::Result<uint16_t> Submit(std::span<const Buffer> chain);

  // True unless the device asked not to be notified (VIRTQ_USED_F_NO_NOTIFY).
  ostd::Result<bool> ShouldNotify() const;

  // The next chain the device returned, or nullopt if there is none. EIO if
  // the device reported something impossible (see queue_state.h): the queue
  // is then broken for good.
  ostd::Result<std::optional<UsedChain>> PopUsed();

  // Chains the device holds.
  uint16_t in_flight() const { return state_.in_flight(); }
  // True after a device error.
  bool broken() const { return state_.broken(); }

 private:
  Virtqueue(ostd::dma::DmaCoherent mem, SplitQueueState state, uint64_t avail_off,
            uint64_t used_off)
      : mem_(std::move(mem)), state_(state), avail_off_(avail_off), used_off_(used_off) {}

  ostd::dma::DmaCoherent mem_;
  SplitQueueState state_;
  uint64_t avail_off_;
  uint64_t used_off_;
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_VIRTQUEUE_H_
