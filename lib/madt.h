// Finding the CPUs in the ACPI MADT, and the machine-control devices in the
// ACPI tables (MADT, HPET, MCFG, DMAR). Pure logic over a PhysMemory reader
// (byte spans), so it runs on the host (madt_test.cc) as well as in the kernel.
// ostd/smp/madt.h names these in namespace ostd::smp.
#ifndef LIB_MADT_H_
#define LIB_MADT_H_

#include <array>
#include <cstdint>
#include <optional>

#include "lib/addr.h"
#include "lib/phys_memory.h"
#include "lib/result.h"

namespace klib {

inline constexpr uint32_t kMaxMadtCpus = 64;

// The ACPI multiprocessor wake-up structure (MADT entry 0x10, ACPI 6.4): a
// TD's firmware parks the application processors on a 4 KiB mailbox,
// because a TD cannot send INIT or STARTUP IPIs.
struct MadtWakeup {
  uint16_t mailbox_version = 0;
  Paddr mailbox = 0;  // 4 KiB aligned
};

// The enabled processors listed in the MADT, in table order.
struct MadtCpus {
  uint32_t count = 0;
  std::array<uint32_t, kMaxMadtCpus> apic_ids{};
  // More enabled processors were listed than fit in apic_ids.
  bool truncated = false;
  // The wake-up mailbox, if the MADT has one (the last entry counts).
  std::optional<MadtWakeup> wakeup;
};

// Follows the RSDP at `rsdp` to the XSDT (ACPI 2.0+, if its checksum holds) or
// the RSDT, finds the "APIC" table and collects the APIC ids of its enabled
// processor entries (types 0 and 9, every id: an xAPIC addresses only ids
// below 0xff, which the caller filters), and the wake-up mailbox (type 0x10).
// Every table's signature, length and checksum is validated, and nothing is
// read outside what `mem` returns. EINVAL: a malformed RSDP or table (a
// wake-up entry shorter than 16 bytes or with an unaligned mailbox
// included); ENOENT: no MADT, or no enabled processor.
Result<MadtCpus> FindCpusInMadt(const PhysMemory& mem, Paddr rsdp);

// A physical range [base, base + size) of a machine-control device.
struct AcpiDeviceRange {
  Paddr base = 0;
  uint64_t size = 0;
};

inline constexpr uint32_t kMaxAcpiDeviceRanges = 64;

struct AcpiDeviceRanges {
  uint32_t count = 0;
  std::array<AcpiDeviceRange, kMaxAcpiDeviceRanges> ranges{};
  bool truncated = false;  // more ranges were listed than fit
};

// The ranges the ACPI tables of `rsdp` give to devices that control the
// machine, which only ostd may drive: the local APIC (MADT address and
// override) and every I/O APIC (one page each, from the MADT), the HPET
// block (one page, HPET table), every PCI ECAM window (1 MiB per bus, MCFG),
// and every DMA-remapping unit's registers (DMAR DRHD entries). A missing table
// contributes nothing. EINVAL: a malformed RSDP, root table or listed table.
Result<AcpiDeviceRanges> FindAcpiDeviceRanges(const PhysMemory& mem, Paddr rsdp);

inline constexpr uint32_t kMaxIoApics = 8;
inline constexpr uint32_t kIsaIrqs = 16;

// One I/O APIC of the MADT (entry type 1).
struct MadtIoApic {
  uint8_t id = 0;
  Paddr base = 0;         // its register window (4 KiB)
  uint32_t gsi_base = 0;  // the global system interrupt of its input 0
};

// How an ISA IRQ reaches the I/O APICs: its global system interrupt and
// signalling, from an interrupt source override (entry type 2) or, without
// one, the ISA default (GSI = IRQ, active high, edge).
struct IsaRoute {
  uint32_t gsi = 0;
  bool active_low = false;
  bool level = false;
};

// The I/O APICs and the ISA IRQ routing of the MADT.
struct MadtIoApics {
  uint32_t count = 0;
  std::array<MadtIoApic, kMaxIoApics> ioapics{};
  bool truncated = false;  // more I/O APICs were listed than fit
  std::array<IsaRoute, kIsaIrqs> isa{};
};

// The I/O APICs and ISA routes of the MADT of `rsdp` (an override for a bus
// other than ISA (0) or an IRQ >= 16 is ignored; polarity and trigger fields
// 0 "conforms to the bus" mean ISA's: active high, edge; the reserved value
// 2 is EINVAL). EINVAL: a malformed RSDP, table or entry; ENOENT: no MADT or
// no I/O APIC.
Result<MadtIoApics> FindIoApicsInMadt(const PhysMemory& mem, Paddr rsdp);

// Searches [base, base+len) on 16-byte boundaries for an RSDP with a valid
// checksum (the legacy BIOS area is 0xe0000-0xfffff).
std::optional<Paddr> ScanForRsdp(const PhysMemory& mem, Paddr base, uint64_t len);

}  // namespace klib

#endif  // LIB_MADT_H_
