// What the boot loader handed over: memory map, command line, initramfs, ACPI.
#ifndef OSTD_BOOT_H_
#define OSTD_BOOT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "lib/addr.h"

namespace ostd {

using klib::Paddr;
using klib::Vaddr;

enum class MemoryRegionKind : uint8_t {
  kUsable,           // free RAM
  kReserved,         // firmware or device memory
  kAcpiReclaimable,  // ACPI tables, reusable after they are read
  kAcpiNvs,
  kBadMemory,
  kKernel,      // the kernel image (text, data, bss)
  kModule,      // the initramfs
  kBootloader,  // boot-info structures still in use
};

std::string_view MemoryRegionKindName(MemoryRegionKind kind);

struct MemoryRegion {
  Paddr base;
  uint64_t length;
  MemoryRegionKind kind;
  Paddr end() const { return base + length; }
};

enum class BootProtocol : uint8_t { kPvh, kMultiboot2 };

// Copied out of the loader's structures early in boot; valid for the whole run.
struct BootInfo {
  BootProtocol protocol;
  std::string_view loader_name;                       // "QEMU PVH", or the Multiboot2 loader name
  std::string_view cmdline;                           // kernel command line, without the image name
  std::span<const MemoryRegion> memory_map;           // sorted by base, non-overlapping
  std::optional<std::span<const uint8_t>> initramfs;  // the first boot module
  std::optional<Paddr> acpi_rsdp;
  bool uefi = false;  // booted through UEFI firmware

  // The value of `key=value` on the command line, if present. The last one wins.
  std::optional<std::string_view> CmdlineValue(std::string_view key) const;
  // True if `flag` appears as a bare word or `flag=...`.
  bool CmdlineHas(std::string_view flag) const;
};

// Valid after ostd has finished early boot (always true by the time the kernel's
// entry point runs).
const BootInfo& GetBootInfo();

}  // namespace ostd

#endif  // OSTD_BOOT_H_
