// Finding the CPUs in the ACPI MADT. Pure logic over a boot::PhysMemory reader,
// so it runs on the host (madt_test.cc) as well as in the kernel.
#ifndef OSTD_SMP_MADT_H_
#define OSTD_SMP_MADT_H_

#include <cstdint>
#include <optional>

#include "ostd/boot.h"
#include "ostd/boot/parse.h"
#include "ostd/result.h"

namespace ostd::smp {

inline constexpr uint32_t kMaxMadtCpus = 64;

// The enabled processors listed in the MADT, in table order.
struct MadtCpus {
  uint32_t count = 0;
  uint32_t apic_ids[kMaxMadtCpus] = {};
  // More enabled processors were listed than fit in apic_ids.
  bool truncated = false;
};

// Follows the RSDP at `rsdp` to the XSDT (ACPI 2.0+, if its checksum holds) or
// the RSDT, finds the "APIC" table and collects the APIC ids of its enabled
// processor entries (types 0 and 9). Every table's signature, length and
// checksum is validated, and nothing is read outside what `mem` returns.
// EINVAL: a malformed RSDP or table; ENOENT: no MADT, or no enabled processor.
Result<MadtCpus> FindCpusInMadt(const boot::PhysMemory& mem, Paddr rsdp);

// Searches [base, base+len) on 16-byte boundaries for an RSDP with a valid
// checksum (the legacy BIOS area is 0xe0000-0xfffff).
std::optional<Paddr> ScanForRsdp(const boot::PhysMemory& mem, Paddr base, uint64_t len);

}  // namespace ostd::smp

#endif  // OSTD_SMP_MADT_H_
