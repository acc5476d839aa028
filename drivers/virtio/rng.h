// virtio-rng (entropy device, virtio 1.2, 5.4) over the modern PCI transport:
// the driver hands the device empty buffers on its one queue and the device
// fills them with random bytes.
//
//   OSTD_TRY_ASSIGN(ostd::Box<VirtioRng> rng, VirtioRng::Probe());
//   std::array<uint8_t, 32> seed;
//   OSTD_TRY_ASSIGN(size_t n, rng->Read(seed));  // 1..32 bytes
//
// Read blocks the calling task until the device returns the buffer (task
// context, no spin lock held); callers are served one at a time. The device
// is not trusted: a used length longer than the buffer, or a used ring that
// breaks the protocol, is EIO and the device stays broken.
#ifndef DRIVERS_VIRTIO_RNG_H_
#define DRIVERS_VIRTIO_RNG_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/virtio/pci_transport.h"
#include "ostd/io/pci.h"
#include "ostd/result.h"
#include "ostd/task/mutex.h"
#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"

namespace drivers::virtio {

class RngQueue;  // rng.cc: the state shared with the interrupt handler

class VirtioRng {
 public:
  // The most bytes one Read asks the device for (one page).
  static constexpr size_t kMaxRead = 4096;

  // Claims the `index`-th modern virtio-rng function (1af4:1044) and brings
  // it up, its interrupt sent to CPU `irq_cpu`. ENODEV: no such device;
  // EINVAL: `irq_cpu` not online; the claim's, transport's and DMA errors.
  static ostd::Result<ostd::Box<VirtioRng>> Probe(size_t index = 0, uint32_t irq_cpu = 0);
  static ostd::Result<ostd::Box<VirtioRng>> Open(const ostd::pci::Device& device,
                                                 uint32_t irq_cpu = 0);

  class Key {
    friend class VirtioRng;
    Key() = default;
  };
  VirtioRng(Key, PciTransport transport, ostd::RefPtr<RngQueue> queue, ostd::pci::MsixIrq irq);
  VirtioRng(const VirtioRng&) = delete;
  VirtioRng& operator=(const VirtioRng&) = delete;
  // Resets the device (it lets go of the buffer), then frees everything.
  ~VirtioRng();

  // Fills a prefix of `dst` (at most kMaxRead bytes) with the device's
  // random bytes; returns its length, at least 1 unless `dst` is empty.
  // EIO: the device misbehaved or broke; ENOMEM.
  ostd::Result<size_t> Read(std::span<uint8_t> dst);

  // Requests the device completed, and completion interrupts taken.
  uint64_t requests() const;
  uint64_t interrupts() const;

 private:
  ostd::Mutex lock_;  // one request at a time
  ostd::RefPtr<RngQueue> queue_;
  PciTransport transport_;
  ostd::pci::MsixIrq irq_;
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_RNG_H_
