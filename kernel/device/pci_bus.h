// Keel's driver model for PCI: drivers register with an id table, the bus
// matches them against the functions ostd's scan found, and a match is
// probed; the binding a probe returns owns the driver's state for that
// function, and dropping it is the remove. One driver per function.
//
//   class MyDriver final : public device::PciDriver {
//     std::string_view name() const override { return "my-nic"; }
//     std::span<const device::PciId> ids() const override { return kIds; }
//     ostd::Result<ostd::Box<device::PciBinding>> Probe(
//         const ostd::pci::Device& dev) override { ... }
//   };
//   MyDriver my_driver;  // static storage: the bus keeps a reference
//   OSTD_TRY(device::RegisterPciDriver(my_driver));
//
// Matching follows Linux: each unbound function goes to the first driver (in
// registration order) with a matching id whose probe succeeds; a probe that
// returns ENODEV declines and the next driver is tried; other probe errors
// are reported on the console and leave the function unbound. Unbinding and
// binding by hand (sysfs's bind and unbind files, as root) go through
// UnbindPciDevice and BindPciDevice.
//
// Probes and removes run one at a time (the bus holds a mutex across them)
// on a task of the bus's own with a 64 KiB stack, whoever asked for them (a
// syscall's stack is 16 KiB); the caller waits. A probe may sleep, and must
// not call back into the bus.
#ifndef KERNEL_DEVICE_PCI_BUS_H_
#define KERNEL_DEVICE_PCI_BUS_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/device/pci_match.h"
#include "ostd/io/pci.h"
#include "ostd/result.h"
#include "ostd/util/box.h"

namespace kernel::device {

// A driver's hold on one bound function. Its destructor is the driver's
// remove: afterwards the driver no longer touches the device (the
// ostd::pci::OwnedDevice it held is dropped, which turns bus mastering and
// MSI-X off) and the kernel objects it registered no longer reach it.
class PciBinding {
 public:
  PciBinding() = default;
  PciBinding(const PciBinding&) = delete;
  PciBinding& operator=(const PciBinding&) = delete;
  virtual ~PciBinding() = default;
};

// A PCI driver. The object must outlive its registration (static storage).
class PciDriver {
 public:
  // The driver's name as sysfs shows it (/sys/bus/pci/drivers/NAME): at most
  // kMaxDriverName characters, no '/'; static storage.
  virtual std::string_view name() const = 0;
  // The ids it drives.
  virtual std::span<const PciId> ids() const = 0;
  // Takes `device` (which matched one of ids()). ENODEV declines it.
  virtual ostd::Result<ostd::Box<PciBinding>> Probe(const ostd::pci::Device& device) = 0;

 protected:
  ~PciDriver() = default;
};

inline constexpr size_t kMaxDriverName = 32;
// The most drivers registered at once.
inline constexpr size_t kMaxPciDrivers = 16;

// Registers `driver` and binds it to every unbound function it matches.
// EEXIST: a driver of that name is registered; EINVAL: a bad name; ENOSPC:
// kMaxPciDrivers reached. Task context.
ostd::Status RegisterPciDriver(PciDriver& driver);
// Unbinds `driver` from every function (dropping each binding) and forgets
// it. ENOENT if it is not registered. Task context.
ostd::Status UnregisterPciDriver(PciDriver& driver);

// Binds the function at `slot` to the registered driver `driver`, as writing
// the slot to /sys/bus/pci/drivers/DRIVER/bind does. ENODEV: no such
// function or driver, the driver's ids do not match the function, or its
// probe declined; EBUSY: the function is bound already; the probe's error
// otherwise.
ostd::Status BindPciDevice(std::string_view driver, const PciSlot& slot);
// Unbinds the function at `slot` from `driver` (drops the binding), as
// writing to /sys/bus/pci/drivers/DRIVER/unbind does. ENODEV: no such
// function or driver, or the function is not bound to it.
ostd::Status UnbindPciDevice(std::string_view driver, const PciSlot& slot);

// What sysfs shows of one function.
struct PciDeviceInfo {
  ostd::pci::Device scan;   // the scan's record
  PciIdentity identity;     // ids and class, subsystem ids included
  PciSlot slot;             // where it sits
  uint8_t irq_line = 0;     // configuration register 0x3c (the firmware's INTx routing)
  std::string_view driver;  // the bound driver's name (static storage), or empty
};

// The functions ostd's scan found, in slot order (the scan's order).
size_t PciDeviceCount();
std::optional<PciDeviceInfo> PciDeviceAt(size_t index);
// The function at `slot`, if the scan found one.
std::optional<PciDeviceInfo> FindPciDevice(const PciSlot& slot);
// The registered drivers' names, in registration order.
std::optional<std::string_view> PciDriverNameAt(size_t index);

// The identity of a scanned function (reads its subsystem ids).
PciIdentity IdentityOf(const ostd::pci::Device& device);

}  // namespace kernel::device

#endif  // KERNEL_DEVICE_PCI_BUS_H_
