// The virtio 1.x modern PCI transport (virtio 1.2, 4.1): finds the common,
// notify, ISR and device configuration structures through the function's
// vendor-specific capabilities, resets and initialises the device,
// negotiates features (VIRTIO_F_VERSION_1 is required: no legacy devices),
// sets up queues with MSI-X vectors and notifies them.
//
// Untrusted code: everything goes through ostd's public PCI, IoMem and DMA
// API. The device is not trusted either: bad capability offsets, a queue size
// of zero, or a status that does not stick are errors, never a panic.
#ifndef DRIVERS_VIRTIO_PCI_TRANSPORT_H_
#define DRIVERS_VIRTIO_PCI_TRANSPORT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "ostd/io/dma.h"
#include "ostd/io/io_mem.h"
#include "ostd/io/pci.h"
#include "ostd/irq.h"
#include "ostd/result.h"

namespace drivers::virtio {

// Device status bits (2.1).
inline constexpr uint8_t kStatusAcknowledge = 1;
inline constexpr uint8_t kStatusDriver = 2;
inline constexpr uint8_t kStatusDriverOk = 4;
inline constexpr uint8_t kStatusFeaturesOk = 8;
inline constexpr uint8_t kStatusFailed = 128;

// Feature bits common to all devices (6).
inline constexpr uint64_t kFeatureVersion1 = uint64_t{1} << 32;

// virtio PCI vendor id; modern device ids are 0x1040 + the device type.
inline constexpr uint16_t kVirtioVendor = 0x1af4;
inline constexpr uint16_t kModernDeviceIdBase = 0x1040;
inline constexpr uint16_t kModernBlkId = kModernDeviceIdBase + 2;      // virtio-blk
inline constexpr uint16_t kModernConsoleId = kModernDeviceIdBase + 3;  // virtio-console
inline constexpr uint16_t kModernRngId = kModernDeviceIdBase + 4;      // virtio-rng

// The device addresses of a split queue's three parts.
struct QueueAddrs {
  ostd::dma::DeviceAddr desc;
  ostd::dma::DeviceAddr driver;  // the avail ring
  ostd::dma::DeviceAddr device;  // the used ring
};

class PciTransport {
 public:
  // Claims `device` and maps its virtio structures. ENODEV: not a modern
  // virtio device (a required capability is missing or points outside its
  // BAR); otherwise the claim's and BAR acquisition's errors.
  static ostd::Result<PciTransport> Open(const ostd::pci::Device& device);

  // Resets the device, acknowledges it and negotiates features: accepts
  // `wanted` & what the device offers, plus VERSION_1, which must be offered
  // (ENODEV otherwise). Returns the accepted set. EIO if the device does not
  // keep FEATURES_OK (it refused the set; the device is marked FAILED).
  ostd::Result<uint64_t> Negotiate(uint64_t wanted);

  // Sets up queue `index` with `size` entries (a power of two no larger than
  // the device's maximum: see QueueMaxSize) at `addrs`, raising MSI-X entry
  // `msix_entry`, and enables it. EINVAL: bad index or size; EIO: the device
  // rejected the vector.
  ostd::Status SetupQueue(uint16_t index, uint16_t size, const QueueAddrs& addrs,
                          uint16_t msix_entry);
  // The largest size the device allows for queue `index` (0: no such queue).
  ostd::Result<uint16_t> QueueMaxSize(uint16_t index);
  // The size a driver sets queue `index` up with: `wanted` (a power of two),
  // halved until the device allows it. ENODEV if that leaves fewer than
  // `least` entries (or the queue does not exist).
  ostd::Result<uint16_t> FitQueueSize(uint16_t index, uint16_t wanted, uint16_t least);

  // Gives the device's MSI-X entry `entry` a fresh vector on CPU `cpu` whose
  // interrupts run `handler` (a callable that owns what it needs, e.g. a
  // RefPtr to the queue state), as every virtio driver here does before
  // setting up its queues. Errors of IrqLine::Alloc, Bind and EnableMsix.
  template <typename F>
  ostd::Result<ostd::pci::MsixIrq> BindMsix(uint16_t entry, F&& handler, uint32_t cpu) {
    OSTD_TRY_ASSIGN(ostd::IrqLine line, ostd::IrqLine::Alloc());
    OSTD_TRY(line.Bind(std::forward<F>(handler)));
    return pci_.EnableMsix(entry, std::move(line), cpu);
  }

  // Sets DRIVER_OK: the device may start using the queues.
  ostd::Status DriverOk();
  // Resets the device (status 0) and waits for it to finish: afterwards it
  // no longer touches the queues or buffers. EIO if it never does.
  ostd::Status Reset();

  // Tells the device that queue `index` has new buffers.
  ostd::Status Notify(uint16_t index);

  // The device-specific configuration structure.
  const ostd::IoMemView<>& device_config() const { return device_cfg_; }
  // The owned PCI function (bus mastering, MSI-X).
  ostd::pci::OwnedDevice& pci() { return pci_; }

 private:
  PciTransport(ostd::pci::OwnedDevice pci) : pci_(std::move(pci)) {}
  ostd::Status SetStatusBits(uint8_t bits);

  ostd::pci::OwnedDevice pci_;
  std::array<std::optional<ostd::IoMem<>>, ostd::pci::kMaxBars> bars_;
  ostd::IoMemView<> common_;
  ostd::IoMemView<> notify_;
  ostd::IoMemView<> isr_;
  ostd::IoMemView<> device_cfg_;
  uint32_t notify_multiplier_ = 0;
  std::array<uint16_t, 8> notify_off_{};  // per queue index set up (< 8)
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_PCI_TRANSPORT_H_
