// virtio-console (virtio 1.2, 5.3) over the modern PCI transport: one port
// (no VIRTIO_CONSOLE_F_MULTIPORT), a receive queue the driver keeps filled
// with empty buffers and a transmit queue it sends bytes on.
//
//   OSTD_TRY_ASSIGN(ostd::Box<VirtioConsole> hvc, VirtioConsole::Probe());
//   OSTD_TRY(hvc->Write(bytes));
//   OSTD_TRY_ASSIGN(size_t n, hvc->Read(buf));   // waits for input
//
// Read and Write block the calling task (task context, no spin lock held).
// Readers share one stream of input, writers are served one at a time. The
// device is not trusted: a used length longer than the buffer, or a used ring
// that breaks the protocol, is EIO and the device stays broken.
#ifndef DRIVERS_VIRTIO_CONSOLE_H_
#define DRIVERS_VIRTIO_CONSOLE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/virtio/pci_transport.h"
#include "ostd/io/pci.h"
#include "ostd/result.h"
#include "ostd/task/deferred_work.h"
#include "ostd/task/mutex.h"
#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"

namespace drivers::virtio {

class ConsoleQueues;  // console.cc: the state shared with the interrupt handler

class VirtioConsole {
 public:
  // Receive buffers kept with the device, and the size of each (also the
  // most one transmit request carries).
  static constexpr size_t kRxBuffers = 4;
  static constexpr size_t kBufferSize = 4096;

  // Claims the `index`-th modern virtio-console function (1af4:1043) and
  // brings it up, its interrupt sent to CPU `irq_cpu`. ENODEV: no such
  // device; EINVAL: `irq_cpu` not online; the claim's, transport's and DMA
  // errors.
  static ostd::Result<ostd::Box<VirtioConsole>> Probe(size_t index = 0, uint32_t irq_cpu = 0);
  static ostd::Result<ostd::Box<VirtioConsole>> Open(const ostd::pci::Device& device,
                                                     uint32_t irq_cpu = 0);

  class Key {
    friend class VirtioConsole;
    Key() = default;
  };
  VirtioConsole(Key, PciTransport transport, ostd::RefPtr<ConsoleQueues> queues,
                ostd::pci::MsixIrq irq);
  VirtioConsole(const VirtioConsole&) = delete;
  VirtioConsole& operator=(const VirtioConsole&) = delete;
  // Resets the device (it lets go of every buffer), then frees everything.
  ~VirtioConsole();

  // Moves received bytes into `dst`, waiting until there is at least one
  // (unless `dst` is empty). EIO once the device broke.
  ostd::Result<size_t> Read(std::span<uint8_t> dst);
  // Like Read, but never waits: 0 bytes when nothing has arrived.
  ostd::Result<size_t> TryRead(std::span<uint8_t> dst);
  // True if a Read would not wait.
  bool readable() const;
  // Sends all of `src`, waiting for the device to take each piece. EIO.
  ostd::Status Write(std::span<const uint8_t> src);

  // Has `work` scheduled whenever input arrives (from the interrupt
  // handler), e.g. to move it into a tty.
  void SetInputWork(ostd::DeferredWork work);

  // Interrupts taken, and bytes received so far.
  uint64_t interrupts() const;
  uint64_t bytes_received() const;

 private:
  ostd::Mutex write_lock_;
  ostd::RefPtr<ConsoleQueues> queues_;
  PciTransport transport_;
  ostd::pci::MsixIrq irq_;
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_CONSOLE_H_
