// A minimal PCI bus scan (configuration mechanism #1, ports 0xcf8/0xcfc) and
// typed access to devices' memory BARs as IoMem.
//
//   OSTD_TRY_ASSIGN(ostd::pci::Device dev, ostd::pci::FindDevice(0x1234, 0x11e8));
//   OSTD_TRY_ASSIGN(ostd::IoMem<> regs, ostd::pci::AcquireBar(dev, 0));
//
// The first call scans buses 0..255 (every device, functions 1..7 of
// multi-function devices), sizes each BAR (with the device's decoding briefly
// off, and the BAR restored), finds each function's MSI-X table and PBA, and
// caches the result; later calls return it. The scan is what IoMem and IoPort
// allow untrusted owners to acquire: memory BARs minus MSI-X structures, and
// I/O BARs (see io_mem.h, ostd/io_port.h). Configuration-space writes stay
// inside ostd: drivers read it, and get their BARs through AcquireBar or
// IoMem::Acquire.
#ifndef OSTD_IO_PCI_H_
#define OSTD_IO_PCI_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ostd/io/io_mem.h"
#include "ostd/result.h"

namespace ostd::pci {

// A function's position on the bus (bus:device.function). Only a name: holding
// one grants nothing (ReadConfig32 of a function that does not exist reads all
// ones).
struct Address {
  uint8_t bus = 0;       // 0..255
  uint8_t device = 0;    // 0..31
  uint8_t function = 0;  // 0..7

  friend constexpr bool operator==(const Address&, const Address&) = default;
};

// What a base address register decodes.
enum class BarKind : uint8_t {
  kNone,      // unimplemented, or the upper half of a 64-bit BAR
  kMemory32,  // memory BAR below 4 GiB
  kMemory64,  // memory BAR taking this slot and the next
  kIo,        // I/O-port BAR
};

// One base address register as the scan sized it (a copy: changing it changes
// nothing on the device or in what may be acquired).
struct Bar {
  BarKind kind = BarKind::kNone;  // what the register decodes
  bool prefetchable = false;      // memory BARs: reads have no side effects (the P bit)
  uint64_t base = 0;              // bus address as programmed by firmware (0: unassigned)
  uint64_t size = 0;              // bytes decoded (a power of two), 0 for kNone

  // True for a 32- or 64-bit memory BAR (the kind AcquireBar accepts).
  bool is_memory() const { return kind == BarKind::kMemory32 || kind == BarKind::kMemory64; }
};

// BAR slots in a type-0 header (a device); bridges use the first two.
inline constexpr size_t kMaxBars = 6;

// One PCI function as the scan recorded it: identity, class and BARs, read once
// at scan time. A copy: changing it grants nothing (AcquireBar looks the
// function up again by address).
struct Device {
  Address address;                   // where the function sits
  uint16_t vendor_id = 0;            // configuration register 0x00, bits 0-15
  uint16_t device_id = 0;            // configuration register 0x00, bits 16-31
  uint8_t class_code = 0;            // base class (0x02 network, 0x01 storage, ...)
  uint8_t subclass = 0;              // subclass within class_code
  uint8_t prog_if = 0;               // programming interface within the subclass
  uint8_t revision = 0;              // revision ID
  uint8_t header_type = 0;           // without the multi-function bit: 0 device, 1 bridge
  std::array<Bar, kMaxBars> bars{};  // bridges (header type 1) have two
};

// The most functions the scan records; further ones are skipped with a warning.
inline constexpr size_t kMaxDevices = 64;

// Every function found, in (bus, device, function) order. Scans on first use.
std::span<const Device> Devices();

// The `index`-th (0-based) function with these ids. ENODEV if there is none.
Result<Device> FindDevice(uint16_t vendor_id, uint16_t device_id, size_t index = 0);

// Reads the 32-bit configuration register at `offset` (a multiple of 4 below
// 256) of `address`. EINVAL for a bad offset or address; a missing function
// reads as 0xffffffff, as on hardware.
Result<uint32_t> ReadConfig32(Address address, uint16_t offset);

// Acquires all of memory BAR `bar` of the scanned device at `device.address`
// (the scan's record is used, not the caller's copy) and turns on the device's
// memory decoding. ENODEV: no such device or the BAR is unassigned (base 0);
// EINVAL: bar >= 6, or an I/O or unimplemented BAR; otherwise IoMem::Acquire's
// errors (EBUSY if a driver holds it already; EACCES if the BAR holds an MSI-X
// table or PBA: acquire the parts around them with IoMem::Acquire instead).
[[nodiscard]] Result<IoMem<Insensitive>> AcquireBar(const Device& device, size_t bar,
                                                    CachePolicy policy = CachePolicy::kUncached);

}  // namespace ostd::pci

#endif  // OSTD_IO_PCI_H_
