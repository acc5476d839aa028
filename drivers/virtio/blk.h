// virtio-blk over the modern PCI transport: sector reads, writes and flushes
// with several requests in flight, completed by an MSI-X interrupt.
//
//   OSTD_TRY_ASSIGN(ostd::Box<VirtioBlk> disk, VirtioBlk::Probe());
//   OSTD_TRY(disk->Write(0, bytes));   // bytes: a multiple of 512
//   OSTD_TRY(disk->Flush());
//
// Read, Write and Flush block the calling task until the device completes
// the request (task context, no spin lock held); any number of tasks may
// call them at once, and their requests are in flight together (up to
// max_requests()). Data goes through a DmaStream per request, so the
// caller's buffer is never handed to the device.
//
// Errors: EINVAL for a range off the device or a length that is not a
// non-zero multiple of 512; EROFS for writes to a read-only device; EIO for
// an I/O error the device reports or for a device that misbehaves (a bad
// used ring, a short read): after the latter the device is broken and every
// later request fails with EIO; ENOMEM when no DMA memory is left.
#ifndef DRIVERS_VIRTIO_BLK_H_
#define DRIVERS_VIRTIO_BLK_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/virtio/blk_protocol.h"
#include "drivers/virtio/pci_transport.h"
#include "ostd/io/dma.h"
#include "ostd/io/pci.h"
#include "ostd/result.h"
#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"

namespace drivers::virtio {

class BlkQueue;  // blk.cc: the state shared with the interrupt handler

class VirtioBlk {
 public:
  // The largest transfer one request carries; longer ones are split.
  static constexpr uint64_t kMaxTransfer = 256 * 1024;

  // Claims the `index`-th modern virtio-blk function (1af4:1042) and brings
  // it up, with its completion interrupt sent to CPU `irq_cpu`. ENODEV: no
  // such device (or not a modern one); EINVAL: `irq_cpu` not online; other
  // errors of the claim, the transport and DMA allocation.
  static ostd::Result<ostd::Box<VirtioBlk>> Probe(size_t index = 0, uint32_t irq_cpu = 0);
  // The same for a given function.
  static ostd::Result<ostd::Box<VirtioBlk>> Open(const ostd::pci::Device& device,
                                                 uint32_t irq_cpu = 0);

  // Only Open can make a Key: the constructor is public for MakeBox alone.
  class Key {
    friend class VirtioBlk;
    Key() = default;
  };
  VirtioBlk(Key, PciTransport transport, ostd::RefPtr<BlkQueue> queue, ostd::pci::MsixIrq irq,
            uint64_t capacity, bool read_only, bool flush);

  VirtioBlk(const VirtioBlk&) = delete;
  VirtioBlk& operator=(const VirtioBlk&) = delete;
  // Resets the device (it stops using every buffer), then frees everything.
  // No request may be running.
  ~VirtioBlk();

  // Sectors of 512 bytes.
  uint64_t capacity() const { return capacity_; }
  bool read_only() const { return read_only_; }
  // Requests that can be in flight at once.
  size_t max_requests() const;

  // Fills `dst` from `sector` on.
  ostd::Status Read(uint64_t sector, std::span<uint8_t> dst);
  // Writes `src` from `sector` on.
  ostd::Status Write(uint64_t sector, std::span<const uint8_t> src);
  // Makes completed writes durable (a no-op success if the device has no
  // write cache to flush: no VIRTIO_BLK_F_FLUSH).
  ostd::Status Flush();

  // Statistics: completion interrupts taken, the CPU that took the last one,
  // and the most requests the device held at once.
  uint64_t interrupts() const;
  uint32_t last_interrupt_cpu() const;
  uint16_t max_in_flight_seen() const;

 private:
  // One request: the header says what, `out` is data the device reads,
  // `in` receives the data it writes back.
  ostd::Status Transfer(uint32_t type, uint64_t sector, std::span<const uint8_t> out,
                        std::span<uint8_t> in);

  // Destroyed in reverse order: the interrupt entry goes first, then the
  // claim (bus mastering off), then the queue memory.
  ostd::RefPtr<BlkQueue> queue_;
  PciTransport transport_;
  ostd::pci::MsixIrq irq_;
  uint64_t capacity_;
  bool read_only_;
  bool flush_;
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_BLK_H_
