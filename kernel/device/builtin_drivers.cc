#include "kernel/device/builtin_drivers.h"

#include <array>

#include "kernel/device/pci_bus.h"
#include "kernel/device/virtio_glue.h"
#include "ostd/log.h"

namespace kernel::device {

void RegisterBuiltinDrivers() {
  // Registration order is matching order: the first driver whose ids match a
  // function and whose probe accepts it gets it.
  std::array<PciDriver*, 3> pci = {
      &VirtioBlkDriver(),
      &VirtioRngDriver(),
      &VirtioConsoleDriver(),
  };
  for (PciDriver* driver : pci) {
    if (ostd::Status s = RegisterPciDriver(*driver); !s) {
      ostd::Println("keel: cannot register driver {}: {}", driver->name(), s.error());
    }
  }
}

}  // namespace kernel::device
