// Parsers for the two boot protocols' hand-off structures (PVH and Multiboot2).
//
// The structures live in physical memory; parsers reach them only through a
// PhysMemory, so they run unchanged on the host against a fake memory and in the
// kernel against the boot linear map. Malformed input (bad magic, lengths that
// run off the end, absurd counts) gives an error, never a crash.
#ifndef OSTD_BOOT_PARSE_H_
#define OSTD_BOOT_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/phys_memory.h"
#include "ostd/boot.h"
#include "ostd/boot/memory_map.h"
#include "ostd/result.h"

namespace ostd::boot {

inline constexpr uint32_t kPvhStartInfoMagic = 0x336ec578;
inline constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

// Read access to physical memory during boot (lib/phys_memory.h).
using klib::PhysMemory;

// What the parsers extract. Strings point into the loader's memory: copy them
// before that memory is reused.
struct RawBootInfo {
  BootProtocol protocol = BootProtocol::kPvh;
  std::string_view loader_name;
  std::string_view cmdline;
  bool has_initramfs = false;
  Paddr initramfs_base = 0;
  uint64_t initramfs_size = 0;
  bool has_rsdp = false;
  Paddr rsdp = 0;
  bool uefi = false;
  // The hand-off structure itself (to keep it out of the allocator until copied).
  Paddr info_base = 0;
  uint64_t info_size = 0;
};

// Parses a PVH hvm_start_info at `info` (version 0 or 1). Memory map entries go
// into `map`. EINVAL for a bad magic or a table that cannot be read.
Status ParsePvh(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map);

// Parses a Multiboot2 information block at `info`. EINVAL on malformed tags.
Status ParseMultiboot2(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map);

// Maps an E820/PVH/Multiboot2 memory type number to a region kind.
MemoryRegionKind KindFromE820(uint32_t type);

// Command line helpers shared by BootInfo and tests.
std::optional<std::string_view> CmdlineValue(std::string_view cmdline, std::string_view key);
bool CmdlineHas(std::string_view cmdline, std::string_view flag);

}  // namespace ostd::boot

#endif  // OSTD_BOOT_PARSE_H_
