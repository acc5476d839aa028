#include "kernel/device/pci_bus.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"

#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/log.h"
#include "ostd/task/mutex.h"
#include "ostd/task/task.h"

namespace kernel::device {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

// Configuration registers read beyond the scan's record.
constexpr uint16_t kSubsystemReg = 0x2c;  // subsystem vendor (low 16) and id (high 16)
constexpr uint16_t kInterruptReg = 0x3c;  // interrupt line (low 8)

struct Binding {
  PciDriver* driver = nullptr;  // null: unbound
  ostd::Box<PciBinding> state;
};

// Held across every probe and remove, and by readers of the tables.
ostd::Mutex bus_lock;
std::array<Binding, ostd::pci::kMaxDevices> bindings ABSL_GUARDED_BY(bus_lock);
std::array<PciDriver*, kMaxPciDrivers> drivers ABSL_GUARDED_BY(bus_lock){};
size_t driver_count ABSL_GUARDED_BY(bus_lock) = 0;

PciSlot SlotOf(const ostd::pci::Device& d) {
  return PciSlot{d.address.bus, d.address.device, d.address.function};
}

std::optional<size_t> IndexOf(const PciSlot& slot) {
  std::span<const ostd::pci::Device> devs = ostd::pci::Devices();
  for (size_t i = 0; i < devs.size() && i < ostd::pci::kMaxDevices; ++i) {
    if (SlotOf(devs[i]) == slot) return i;
  }
  return std::nullopt;
}

PciDriver* DriverNamedLocked(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_lock) {
  for (size_t i = 0; i < driver_count; ++i) {
    if (drivers[i]->name() == name) return drivers[i];
  }
  return nullptr;
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxDriverName && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos;
}

// Offers function `index` (unbound) to `driver`.
Status ProbeLocked(size_t index, PciDriver& driver) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_lock) {
  const ostd::pci::Device& dev = ostd::pci::Devices()[index];
  if (!FirstMatch(driver.ids(), IdentityOf(dev))) return Err(Errno::kENODEV);
  OSTD_TRY_ASSIGN(ostd::Box<PciBinding> state, driver.Probe(dev));
  if (!state) return Err(Errno::kENODEV);
  bindings[index] = Binding{&driver, std::move(state)};
  return {};
}

// Probes `driver` for function `index`, reporting failures other than a
// decline.
void AutoProbeLocked(size_t index, PciDriver& driver) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_lock) {
  Status s = ProbeLocked(index, driver);
  if (!s && s.error() != Errno::kENODEV) {
    ostd::Println("keel: {} {}: probe failed: {}", driver.name(),
                  FormatSlot(SlotOf(ostd::pci::Devices()[index])).view(), s.error());
  }
}

void RemoveLocked(size_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_lock) {
  ostd::Box<PciBinding> state = std::move(bindings[index].state);
  bindings[index].driver = nullptr;
  state.Reset();  // the driver's remove
}

PciDeviceInfo InfoLocked(size_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(bus_lock) {
  const ostd::pci::Device& dev = ostd::pci::Devices()[index];
  PciDeviceInfo info;
  info.scan = dev;
  info.identity = IdentityOf(dev);
  info.slot = SlotOf(dev);
  Result<uint32_t> intr = ostd::pci::ReadConfig32(dev.address, kInterruptReg);
  info.irq_line = intr ? static_cast<uint8_t>(*intr & 0xff) : 0;
  if (bindings[index].driver != nullptr) info.driver = bindings[index].driver->name();
  return info;
}

// Probes and removes run driver code of unknown stack depth (bringing up a
// virtio device takes over 16 KiB, a syscall's whole stack): the bus runs
// them on a task of their own with the largest stack a task may have, and
// the caller waits for it.
constexpr size_t kProbeStack = 64 * 1024;

template <typename F>
Status OnProbeStack(F&& op) {
  std::optional<Status> result;
  // Pinned to the caller's CPU, so the probe runs where an inline call
  // would. Spawned on any CPU, it made QEMU 7.2's TCG itself crash now and
  // then (a segfault in memory_region_dispatch_read while bringing up
  // virtio-rng at boot: 5 boots in 30 with -smp 2, none in 40 pinned; the
  // cause inside QEMU was not found).
  ostd::CpuSet here;
  here.Add(ostd::cpu::CurrentId());
  ostd::TaskGroup group;
  OSTD_TRY(
      group.Spawn([&result, &op] { result.emplace(op()); },
                  ostd::TaskOptions().name("pci-probe").stack_size(kProbeStack).affinity(here)));
  group.Join();
  return result ? *result : Err(Errno::kEIO);
}

Status RegisterPciDriverNow(PciDriver& driver) {
  if (!ValidName(driver.name())) return Err(Errno::kEINVAL);
  ostd::MutexGuard guard(bus_lock);
  if (DriverNamedLocked(driver.name()) != nullptr) return Err(Errno::kEEXIST);
  if (driver_count == drivers.size()) return Err(Errno::kENOSPC);
  drivers[driver_count++] = &driver;
  size_t n = PciDeviceCount();
  for (size_t i = 0; i < n; ++i) {
    if (bindings[i].driver == nullptr) AutoProbeLocked(i, driver);
  }
  return {};
}

Status UnregisterPciDriverNow(PciDriver& driver) {
  ostd::MutexGuard guard(bus_lock);
  size_t at = driver_count;
  for (size_t i = 0; i < driver_count; ++i) {
    if (drivers[i] == &driver) at = i;
  }
  if (at == driver_count) return Err(Errno::kENOENT);
  for (size_t i = 0; i < ostd::pci::kMaxDevices; ++i) {
    if (bindings[i].driver == &driver) RemoveLocked(i);
  }
  for (size_t i = at; i + 1 < driver_count; ++i) drivers[i] = drivers[i + 1];
  drivers[--driver_count] = nullptr;
  return {};
}

Status BindPciDeviceNow(std::string_view name, const PciSlot& slot) {
  std::optional<size_t> index = IndexOf(slot);
  if (!index) return Err(Errno::kENODEV);
  ostd::MutexGuard guard(bus_lock);
  PciDriver* driver = DriverNamedLocked(name);
  if (driver == nullptr) return Err(Errno::kENODEV);
  if (bindings[*index].driver != nullptr) return Err(Errno::kEBUSY);
  return ProbeLocked(*index, *driver);
}

Status UnbindPciDeviceNow(std::string_view name, const PciSlot& slot) {
  std::optional<size_t> index = IndexOf(slot);
  if (!index) return Err(Errno::kENODEV);
  ostd::MutexGuard guard(bus_lock);
  PciDriver* driver = bindings[*index].driver;
  if (driver == nullptr || driver->name() != name) return Err(Errno::kENODEV);
  RemoveLocked(*index);
  return {};
}

}  // namespace

PciIdentity IdentityOf(const ostd::pci::Device& device) {
  PciIdentity id;
  id.vendor = device.vendor_id;
  id.device = device.device_id;
  id.class_code =
      uint32_t{device.class_code} << 16 | uint32_t{device.subclass} << 8 | device.prog_if;
  id.revision = device.revision;
  // Type-0 headers only: a bridge keeps other registers there.
  if (device.header_type == 0) {
    Result<uint32_t> sub = ostd::pci::ReadConfig32(device.address, kSubsystemReg);
    if (sub) {
      id.subsystem_vendor = static_cast<uint16_t>(*sub & 0xffff);
      id.subsystem_device = static_cast<uint16_t>(*sub >> 16);
    }
  }
  return id;
}

Status RegisterPciDriver(PciDriver& driver) {
  return OnProbeStack([&] { return RegisterPciDriverNow(driver); });
}

Status UnregisterPciDriver(PciDriver& driver) {
  return OnProbeStack([&] { return UnregisterPciDriverNow(driver); });
}

Status BindPciDevice(std::string_view name, const PciSlot& slot) {
  return OnProbeStack([&] { return BindPciDeviceNow(name, slot); });
}

Status UnbindPciDevice(std::string_view name, const PciSlot& slot) {
  return OnProbeStack([&] { return UnbindPciDeviceNow(name, slot); });
}

size_t PciDeviceCount() { return std::min(ostd::pci::Devices().size(), ostd::pci::kMaxDevices); }

std::optional<PciDeviceInfo> PciDeviceAt(size_t index) {
  if (index >= PciDeviceCount()) return std::nullopt;
  ostd::MutexGuard guard(bus_lock);
  return InfoLocked(index);
}

std::optional<PciDeviceInfo> FindPciDevice(const PciSlot& slot) {
  std::optional<size_t> index = IndexOf(slot);
  if (!index) return std::nullopt;
  ostd::MutexGuard guard(bus_lock);
  return InfoLocked(*index);
}

std::optional<std::string_view> PciDriverNameAt(size_t index) {
  ostd::MutexGuard guard(bus_lock);
  if (index >= driver_count) return std::nullopt;
  return drivers[index]->name();
}

}  // namespace kernel::device
