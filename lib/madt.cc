#include "lib/madt.h"

#include <span>
#include <string_view>

namespace klib {
namespace {

constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;
constexpr size_t kSdtHeaderSize = 36;
constexpr size_t kMadtEntriesOffset = 44;
// Larger tables than this are treated as corrupt.
constexpr uint32_t kMaxTableSize = 1u << 20;

uint32_t Le32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}
uint64_t Le64(std::span<const uint8_t> b, size_t at) {
  return uint64_t{Le32(b, at)} | uint64_t{Le32(b, at + 4)} << 32;
}

bool ChecksumOk(std::span<const uint8_t> b) {
  uint8_t sum = 0;
  for (uint8_t x : b) sum = static_cast<uint8_t>(sum + x);
  return sum == 0;
}

bool SignatureIs(std::span<const uint8_t> b, std::string_view sig) {
  if (b.size() < sig.size()) return false;
  for (size_t i = 0; i < sig.size(); ++i) {
    if (b[i] != static_cast<uint8_t>(sig[i])) return false;
  }
  return true;
}

// The whole table at `p` if its header, length and checksum are sound.
std::optional<std::span<const uint8_t>> ReadTable(const PhysMemory& mem, Paddr p) {
  std::span<const uint8_t> header = mem.Bytes(p, kSdtHeaderSize);
  if (header.size() != kSdtHeaderSize) return std::nullopt;
  uint32_t len = Le32(header, 4);
  if (len < kSdtHeaderSize || len > kMaxTableSize) return std::nullopt;
  std::span<const uint8_t> table = mem.Bytes(p, len);
  if (table.size() != len || !ChecksumOk(table)) return std::nullopt;
  return table;
}

bool ValidRsdp(const PhysMemory& mem, Paddr p) {
  std::span<const uint8_t> v1 = mem.Bytes(p, kRsdpV1Size);
  return v1.size() == kRsdpV1Size && SignatureIs(v1, "RSD PTR ") && ChecksumOk(v1);
}

void AddCpu(MadtCpus& out, uint32_t apic_id) {
  if (out.count == kMaxMadtCpus) {
    out.truncated = true;
    return;
  }
  out.apic_ids[out.count++] = apic_id;
}

}  // namespace

std::optional<Paddr> ScanForRsdp(const PhysMemory& mem, Paddr base, uint64_t len) {
  for (uint64_t off = 0; off + kRsdpV1Size <= len; off += 16) {
    if (ValidRsdp(mem, base + off)) return base + off;
  }
  return std::nullopt;
}

namespace {

// The table with signature `sig` listed in the XSDT/RSDT of `rsdp`, nullopt if
// none is listed. EINVAL: a malformed RSDP, root table or listed `sig` table.
Result<std::optional<std::span<const uint8_t>>> FindTable(const PhysMemory& mem, Paddr rsdp,
                                                          std::string_view sig) {
  if (!ValidRsdp(mem, rsdp)) return Err(Errno::kEINVAL);
  std::span<const uint8_t> v1 = mem.Bytes(rsdp, kRsdpV1Size);
  // The XSDT when the ACPI 2.0 part is present and sound, else the RSDT.
  Paddr root = Le32(v1, 16);
  size_t entry_size = 4;
  if (v1[15] >= 2) {
    std::span<const uint8_t> v2 = mem.Bytes(rsdp, kRsdpV2Size);
    if (v2.size() == kRsdpV2Size && Le32(v2, 20) >= kRsdpV2Size) {
      std::span<const uint8_t> full = mem.Bytes(rsdp, Le32(v2, 20));
      if (full.size() == Le32(v2, 20) && ChecksumOk(full) && Le64(v2, 24) != 0) {
        root = Le64(v2, 24);
        entry_size = 8;
      }
    }
  }
  std::optional<std::span<const uint8_t>> root_table = ReadTable(mem, root);
  if (!root_table || !SignatureIs(*root_table, entry_size == 8 ? std::string_view("XSDT")
                                                               : std::string_view("RSDT"))) {
    return Err(Errno::kEINVAL);
  }

  for (size_t at = kSdtHeaderSize; at + entry_size <= root_table->size(); at += entry_size) {
    Paddr p = entry_size == 8 ? Le64(*root_table, at) : Le32(*root_table, at);
    std::span<const uint8_t> head = mem.Bytes(p, 4);
    if (head.size() != 4 || !SignatureIs(head, sig)) continue;
    std::optional<std::span<const uint8_t>> table = ReadTable(mem, p);
    if (!table) return Err(Errno::kEINVAL);
    return table;
  }
  return std::optional<std::span<const uint8_t>>();
}

void AddRange(AcpiDeviceRanges& out, Paddr base, uint64_t size) {
  if (size == 0) return;
  if (out.count == kMaxAcpiDeviceRanges) {
    out.truncated = true;
    return;
  }
  out.ranges[out.count++] = AcpiDeviceRange{base, size};
}

}  // namespace

Result<MadtCpus> FindCpusInMadt(const PhysMemory& mem, Paddr rsdp) {
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> madt, FindTable(mem, rsdp, "APIC"));
  if (!madt) return Err(Errno::kENOENT);
  if (madt->size() < kMadtEntriesOffset) return Err(Errno::kEINVAL);

  MadtCpus out;
  for (size_t at = kMadtEntriesOffset; at + 2 <= madt->size();) {
    uint8_t type = (*madt)[at];
    uint8_t len = (*madt)[at + 1];
    if (len < 2 || at + len > madt->size()) return Err(Errno::kEINVAL);
    std::span<const uint8_t> e = madt->subspan(at, len);
    if (type == 0 && len >= 8) {  // processor local APIC
      if (Le32(e, 4) & 1) AddCpu(out, e[3]);
    } else if (type == 9 && len >= 16) {  // processor local x2APIC
      // Every id: an xAPIC can address only those below 0xff, which the
      // caller knows (ostd's x2APIC and the wake-up mailbox take any).
      if (Le32(e, 8) & 1) AddCpu(out, Le32(e, 4));
    } else if (type == 0x10) {  // multiprocessor wake-up: version, reserved, mailbox
      if (len < 16 || (Le64(e, 8) & 0xfff) != 0) return Err(Errno::kEINVAL);
      out.wakeup = MadtWakeup{static_cast<uint16_t>(e[2] | e[3] << 8), Le64(e, 8)};
    }
    at += len;
  }
  if (out.count == 0) return Err(Errno::kENOENT);
  return out;
}

Result<MadtIoApics> FindIoApicsInMadt(const PhysMemory& mem, Paddr rsdp) {
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> madt, FindTable(mem, rsdp, "APIC"));
  if (!madt) return Err(Errno::kENOENT);
  if (madt->size() < kMadtEntriesOffset) return Err(Errno::kEINVAL);

  MadtIoApics out;
  for (uint32_t irq = 0; irq < kIsaIrqs; ++irq) out.isa[irq] = IsaRoute{irq, false, false};
  for (size_t at = kMadtEntriesOffset; at + 2 <= madt->size();) {
    uint8_t type = (*madt)[at];
    uint8_t len = (*madt)[at + 1];
    if (len < 2 || at + len > madt->size()) return Err(Errno::kEINVAL);
    std::span<const uint8_t> e = madt->subspan(at, len);
    if (type == 1) {  // I/O APIC: id, reserved, address, GSI base
      if (len < 12) return Err(Errno::kEINVAL);
      if (out.count == kMaxIoApics) {
        out.truncated = true;
      } else {
        out.ioapics[out.count++] = MadtIoApic{e[2], Le32(e, 4), Le32(e, 8)};
      }
    } else if (type == 2) {  // interrupt source override: bus, source, GSI, flags
      if (len < 10) return Err(Errno::kEINVAL);
      uint8_t bus = e[2], source = e[3];
      uint16_t flags = static_cast<uint16_t>(e[8] | e[9] << 8);
      uint16_t polarity = flags & 3, trigger = (flags >> 2) & 3;
      if (polarity == 2 || trigger == 2) return Err(Errno::kEINVAL);
      if (bus == 0 && source < kIsaIrqs) {
        out.isa[source] = IsaRoute{Le32(e, 4), polarity == 3, trigger == 3};
      }
    }
    at += len;
  }
  if (out.count == 0) return Err(Errno::kENOENT);
  return out;
}

Result<AcpiDeviceRanges> FindAcpiDeviceRanges(const PhysMemory& mem, Paddr rsdp) {
  constexpr uint64_t kPage = 4096;
  AcpiDeviceRanges out;
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> madt, FindTable(mem, rsdp, "APIC"));
  if (madt && madt->size() >= kMadtEntriesOffset) {
    for (size_t at = kMadtEntriesOffset; at + 2 <= madt->size();) {
      uint8_t len = (*madt)[at + 1];
      if (len < 2 || at + len > madt->size()) return Err(Errno::kEINVAL);
      std::span<const uint8_t> e = madt->subspan(at, len);
      if (e[0] == 1 && len >= 12) AddRange(out, Le32(e, 4) & ~(kPage - 1), kPage);  // I/O APIC
      if (e[0] == 5 && len >= 12) {  // local APIC address override
        AddRange(out, Le64(e, 4) & ~(kPage - 1), kPage);
      }
      at += len;
    }
    AddRange(out, Le32(*madt, 36) & ~(kPage - 1), kPage);  // the local APIC
  }
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> hpet, FindTable(mem, rsdp, "HPET"));
  if (hpet && hpet->size() >= 56) AddRange(out, Le64(*hpet, 44) & ~(kPage - 1), kPage);
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> mcfg, FindTable(mem, rsdp, "MCFG"));
  if (mcfg) {
    for (size_t at = 44; at + 16 <= mcfg->size(); at += 16) {
      uint64_t base = Le64(*mcfg, at);
      uint8_t first = (*mcfg)[at + 10], last = (*mcfg)[at + 11];
      if (last < first) continue;
      // The window of buses [first, last]: 1 MiB each.
      AddRange(out, base + (uint64_t{first} << 20), uint64_t{last - first + 1u} << 20);
    }
  }
  KLIB_TRY_ASSIGN(std::optional<std::span<const uint8_t>> dmar, FindTable(mem, rsdp, "DMAR"));
  if (dmar) {
    for (size_t at = 48; at + 4 <= dmar->size();) {
      uint16_t type = static_cast<uint16_t>((*dmar)[at] | (*dmar)[at + 1] << 8);
      uint16_t len = static_cast<uint16_t>((*dmar)[at + 2] | (*dmar)[at + 3] << 8);
      if (len < 4 || at + len > dmar->size()) return Err(Errno::kEINVAL);
      if (type == 0 && len >= 16) {  // DRHD: register base; size 2^n pages (VT-d 2.x)
        uint8_t size_field = (*dmar)[at + 5] & 0xf;
        AddRange(out, Le64(*dmar, at + 8) & ~(kPage - 1), kPage << size_field);
      }
      at += len;
    }
  }
  return out;
}

}  // namespace klib
