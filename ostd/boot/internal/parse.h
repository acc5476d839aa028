// Parsers for the boot protocols' hand-off structures (PVH, Multiboot2 and the
// block Keel's own EFI stub writes).
//
// The structures live in physical memory; parsers reach them only through a
// PhysMemory, so they run unchanged on the host against a fake memory and in the
// kernel against the boot linear map. Malformed input (bad magic, lengths that
// run off the end, absurd counts) gives an error, never a crash.
#ifndef OSTD_BOOT_INTERNAL_PARSE_H_
#define OSTD_BOOT_INTERNAL_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/phys_memory.h"
#include "ostd/boot.h"
#include "ostd/boot/internal/memory_map.h"
#include "ostd/result.h"

namespace ostd::boot {

// The `magic` field that opens a PVH hvm_start_info (ParsePvh checks it).
inline constexpr uint32_t kPvhStartInfoMagic = 0x336ec578;
// The value a Multiboot2 loader leaves in EAX at entry; the information block
// itself carries no magic, so the entry code checks this one.
inline constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

// Read access to physical memory during boot (lib/phys_memory.h).
using klib::PhysMemory;

// What the parsers extract. Strings point into the loader's memory: copy them
// before that memory is reused. A parser sets only what it finds; the other
// fields keep their values.
struct RawBootInfo {
  BootProtocol protocol = BootProtocol::kPvh;  // which parser filled this in
  // `QEMU PVH` for PVH; the Multiboot2 loader-name tag (empty if absent); the
  // EFI stub's loader name. An unterminated string reads as empty.
  std::string_view loader_name;
  // The command line; empty if absent or if no NUL ends it (within 4096 bytes
  // for PVH, within the tag for Multiboot2).
  std::string_view cmdline;
  bool has_initramfs = false;   // a non-empty first module was found
  Paddr initramfs_base = 0;     // its physical start (valid if has_initramfs)
  uint64_t initramfs_size = 0;  // its length in bytes (valid if has_initramfs)
  bool has_rsdp = false;        // an ACPI RSDP was found
  // Physical address of the RSDP (valid if has_rsdp): PVH's rsdp_paddr, or the
  // copy inside Multiboot2's ACPI tag (the 2.0 tag wins over the 1.0 one), or
  // the EFI stub's rsdp_paddr.
  Paddr rsdp = 0;
  // Multiboot2 passed an EFI 64-bit tag or EFI memory map, or the EFI stub booted us.
  bool uefi = false;
  // The hand-off structure itself (to keep it out of the allocator until copied).
  Paddr info_base = 0;
  uint64_t info_size = 0;  // its length in bytes (with info_base)
};

// Parses a PVH hvm_start_info at `info` (version 0 or 1). Memory map entries go
// into `map`. EINVAL for a bad magic or a table that cannot be read.
Status ParsePvh(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map);

// Parses a Multiboot2 information block at `info`. EINVAL on malformed tags.
Status ParseMultiboot2(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map);

// Parses the hand-off block of Keel's EFI stub (arch/x86_64/efi/handoff.h) at
// `info`: the command line, loader name and memory map must lie inside the
// block (whose size the header gives, at most 16 MiB) and the strings must end
// with a NUL there. EINVAL for a bad magic or version, a pointer or count that
// leaves the block, or a table that cannot be read.
Status ParseKeelEfi(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map);

// Maps an E820/PVH/Multiboot2 memory type number to a region kind.
MemoryRegionKind KindFromE820(uint32_t type);

// Command line helpers shared by BootInfo and tests. Words are separated by
// spaces (no quoting). CmdlineValue returns the text after `key=` of the last
// word that starts with it (it may be empty), or nullopt; the view points into
// `cmdline`.
std::optional<std::string_view> CmdlineValue(std::string_view cmdline, std::string_view key);
// True if a word of `cmdline` is exactly `flag` or starts with `flag=`. An empty
// flag matches only a word that starts with `=`.
bool CmdlineHas(std::string_view cmdline, std::string_view flag);

}  // namespace ostd::boot

#endif  // OSTD_BOOT_INTERNAL_PARSE_H_
