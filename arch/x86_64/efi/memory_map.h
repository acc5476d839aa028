// The UEFI memory map in the form ostd's boot path reads: E820-typed entries,
// sorted by address, neighbours of one type merged. Pure logic (the EFI stub
// and the host tests share it).
#ifndef ARCH_X86_64_EFI_MEMORY_MAP_H_
#define ARCH_X86_64_EFI_MEMORY_MAP_H_

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/efi/handoff.h"

namespace arch::efi {

// The E820 type of an EFI memory type once boot services have exited: loader
// and boot-services memory and conventional memory are usable RAM; ACPI
// reclaim and NVS keep their ACPI types; unusable memory is bad; runtime
// services, MMIO, persistent and unaccepted memory (accepting it is the TDX
// work still to come) and unknown types are reserved.
uint32_t E820TypeFromEfi(uint32_t efi_type);

enum class MapError : uint8_t {
  kOk,
  kBadDescriptorSize,  // smaller than an EFI_MEMORY_DESCRIPTOR, or does not divide the map
  kTooMany,            // more entries than `cap` after merging
};

struct ConvertResult {
  MapError error;
  size_t count;    // entries written to `out`
  size_t dropped;  // descriptors skipped: zero pages, or a range that wraps past 2^64
};

// Converts `map_size` bytes of EFI memory descriptors (`desc_size` bytes each,
// as GetMemoryMap returned them) into at most `cap` entries in `out`, sorted
// by address with touching entries of the same type merged.
ConvertResult ConvertMemoryMap(const uint8_t* map, size_t map_size, size_t desc_size,
                               E820Entry* out, size_t cap);

// True if every byte of [lo, hi) lies in descriptors of memory that is free
// once boot services have exited and that no loader owns: conventional and
// boot-services memory (loader memory holds the stub, its data and the
// initramfs). False for a malformed map or an empty range.
bool FreeAfterExit(const uint8_t* map, size_t map_size, size_t desc_size, uint64_t lo, uint64_t hi);

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_MEMORY_MAP_H_
