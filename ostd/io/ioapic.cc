// The I/O APIC driver behind ostd/io/internal/ioapic.h.
//
// Each I/O APIC has two registers in its page: IOREGSEL (offset 0x00)
// selects an internal register and IOWIN (0x10) reads or writes it. Internal
// register 0x01 holds the number of inputs minus one in bits 16..23; the
// redirection entry of input n is the register pair 0x10 + 2n (low dword:
// vector 0..7, delivery mode 8..10, destination mode 11, polarity 13
// (1 = active low), trigger 15 (1 = level), mask 16) and 0x11 + 2n (high
// dword: destination APIC id in bits 24..31). A select-then-access pair is
// not atomic, so every access holds `lock`.
#include "ostd/io/internal/ioapic.h"

#include <array>
#include <cstdint>
#include <optional>

#include "ostd/boot.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/log.h"
#include "ostd/smp/madt.h"
#include "ostd/task/mutex.h"

namespace ostd::internal {
namespace {

constexpr uint32_t kRegVersion = 0x01;
constexpr uint32_t kRegRedirection = 0x10;
constexpr uint32_t kMasked = 1u << 16;
constexpr uint32_t kActiveLow = 1u << 13;
constexpr uint32_t kLevel = 1u << 15;

struct Chip {
  Vaddr base = 0;
  uint32_t gsi_base = 0;
  uint32_t inputs = 0;
};

Mutex lock;
bool probed ABSL_GUARDED_BY(lock) = false;
uint32_t chip_count ABSL_GUARDED_BY(lock) = 0;
std::array<Chip, smp::kMaxIoApics> chips ABSL_GUARDED_BY(lock);
std::array<smp::IsaRoute, smp::kIsaIrqs> isa ABSL_GUARDED_BY(lock);

uint32_t Read(const Chip& c, uint32_t reg) {
  // SAFETY: c.base maps the I/O APIC's 4 KiB register page uncached (MapMmio
  // in Probe); IOREGSEL (+0x00) and IOWIN (+0x10) are 32-bit registers the
  // chip requires to be accessed with 32-bit loads and stores.
  *reinterpret_cast<volatile uint32_t*>(c.base) = reg;
  return *reinterpret_cast<const volatile uint32_t*>(c.base + 0x10);
}

void Write(const Chip& c, uint32_t reg, uint32_t value) {
  // SAFETY: as in Read().
  *reinterpret_cast<volatile uint32_t*>(c.base) = reg;
  *reinterpret_cast<volatile uint32_t*>(c.base + 0x10) = value;
}

// Finds and maps the I/O APICs and masks every input. Runs once; a failure
// leaves chip_count 0 (ENODEV from then on).
void Probe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  probed = true;
  LinearPhysMemory mem;
  std::optional<Paddr> rsdp = GetBootInfo().acpi_rsdp;
  if (!rsdp && !GetBootInfo().uefi) rsdp = smp::ScanForRsdp(mem, 0xe0000, 0x20000);
  if (!rsdp) return;
  Result<smp::MadtIoApics> found = smp::FindIoApicsInMadt(mem, *rsdp);
  if (!found) {
    OSTD_LOG_WARN("ioapic: none usable in the ACPI MADT ({})", found.error());
    return;
  }
  isa = found->isa;
  for (uint32_t i = 0; i < found->count; ++i) {
    const smp::MadtIoApic& m = found->ioapics[i];
    Result<Vaddr> va = MapMmio(m.base & ~Paddr{0xfff}, 4096);
    if (!va) {
      OSTD_LOG_WARN("ioapic: cannot map the I/O APIC at {:#x} ({})", m.base, va.error());
      continue;
    }
    Chip c{*va + (m.base & 0xfff), m.gsi_base, 0};
    c.inputs = ((Read(c, kRegVersion) >> 16) & 0xff) + 1;
    for (uint32_t n = 0; n < c.inputs; ++n) {
      Write(c, kRegRedirection + 2 * n, kMasked);
      Write(c, kRegRedirection + 2 * n + 1, 0);
    }
    chips[chip_count++] = c;
  }
}

// The chip and input serving `gsi`, if any.
const Chip* ChipFor(uint32_t gsi, uint32_t* input) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
  for (uint32_t i = 0; i < chip_count; ++i) {
    const Chip& c = chips[i];
    if (gsi >= c.gsi_base && gsi - c.gsi_base < c.inputs) {
      *input = gsi - c.gsi_base;
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

Status RouteIsaIrq(uint32_t irq, uint8_t vector, uint32_t apic_id) {
  if (irq >= smp::kIsaIrqs || vector < 0x20) return Err(Errno::kEINVAL);
  MutexGuard g(lock);
  if (!probed) Probe();
  const smp::IsaRoute& route = isa[irq];
  uint32_t input = 0;
  const Chip* c = ChipFor(route.gsi, &input);
  if (c == nullptr) return Err(Errno::kENODEV);
  uint32_t low = vector;  // fixed delivery, physical destination, unmasked
  if (route.active_low) low |= kActiveLow;
  if (route.level) low |= kLevel;
  // Masked while the destination changes, so no half-written entry fires.
  Write(*c, kRegRedirection + 2 * input, kMasked);
  Write(*c, kRegRedirection + 2 * input + 1, (apic_id & 0xff) << 24);
  Write(*c, kRegRedirection + 2 * input, low);
  return {};
}

Status MaskIsaIrq(uint32_t irq) {
  if (irq >= smp::kIsaIrqs) return Err(Errno::kEINVAL);
  MutexGuard g(lock);
  if (!probed) Probe();
  uint32_t input = 0;
  const Chip* c = ChipFor(isa[irq].gsi, &input);
  if (c == nullptr) return Err(Errno::kENODEV);
  Write(*c, kRegRedirection + 2 * input, kMasked);
  return {};
}

}  // namespace ostd::internal
