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

// What a range of physical memory holds, as the loader reported it (E820 types
// 1, 2, 3, 4, 5; any other type is kReserved) or as ostd carved it out of the
// loader's map (kKernel, kModule, kBootloader). Only kUsable memory goes to the
// frame allocator.
enum class MemoryRegionKind : uint8_t {
  kUsable,           // free RAM
  kReserved,         // firmware or device memory
  kAcpiReclaimable,  // ACPI tables, reusable after they are read
  kAcpiNvs,          // ACPI non-volatile storage: firmware keeps using it
  kBadMemory,        // RAM the firmware found defective
  kKernel,           // the kernel image (text, data, bss)
  kModule,           // the initramfs
  kBootloader,       // boot-info structures still in use
  kUnaccepted,       // RAM a TDX guest must accept before use (EFI unaccepted memory)
};

// A short lower-case name for log lines ("usable", "acpi-reclaimable", ...);
// "?" for a value outside the enumeration. The string is static.
std::string_view MemoryRegionKindName(MemoryRegionKind kind);

// One entry of the boot memory map: the physical range [base, end()) and what
// it holds. In BootInfo::memory_map, kUsable regions are page aligned.
struct MemoryRegion {
  Paddr base;             // first byte
  uint64_t length;        // in bytes; never 0 in BootInfo::memory_map
  MemoryRegionKind kind;  // what the range holds
  // One past the last byte: base + length (in BootInfo::memory_map this never
  // wraps past 2^64).
  Paddr end() const { return base + length; }
};

// How the loader entered the kernel.
enum class BootProtocol : uint8_t {
  kPvh,         // Xen/QEMU PVH direct boot (hvm_start_info)
  kMultiboot2,  // a Multiboot2 loader such as GRUB
  kUefi,        // Keel's own EFI stub (arch/x86_64/efi/), as a UEFI application
};

// A short name for log lines ("PVH", "Multiboot2", "UEFI"); "?" for a value
// outside the enumeration. The string is static.
std::string_view BootProtocolName(BootProtocol protocol);

// Copied out of the loader's structures early in boot; valid for the whole run.
struct BootInfo {
  BootProtocol protocol;  // how the loader entered the kernel
  // The Multiboot2 loader's name tag (empty if absent), `QEMU PVH` for PVH, or
  // `Keel EFI stub on VENDOR` (the firmware vendor) for UEFI; at most 128
  // bytes (longer names are cut).
  std::string_view loader_name;
  // The kernel command line as the loader passed it (GRUB and QEMU leave out
  // the image name); at most 4096 bytes (a longer one is cut).
  std::string_view cmdline;
  std::span<const MemoryRegion> memory_map;           // sorted by base, non-overlapping
  std::optional<std::span<const uint8_t>> initramfs;  // the first boot module
  // Physical address of the ACPI RSDP: the one PVH points at, the copy in
  // Multiboot2's ACPI tag (the 2.0 tag if both are present), or the one the
  // EFI stub found in the UEFI configuration table (ACPI 2.0, else 1.0). Empty
  // if the loader passed none.
  std::optional<Paddr> acpi_rsdp;
  bool uefi = false;  // booted through UEFI firmware (GRUB or Keel's EFI stub)

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
