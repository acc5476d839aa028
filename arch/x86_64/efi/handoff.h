// What Keel's EFI stub hands to the kernel: one block of physical memory below
// 4 GiB holding this header, the command line, the loader name and the memory
// map (already converted to E820 types), all inside [block, block + total_size).
//
// The stub (arch/x86_64/efi/stub.cc) writes it after ExitBootServices and
// enters the kernel at the address of its `Keel` ELF note with the block's
// physical address; ostd/boot/parse.cc (ParseKeelEfi) reads it back through a
// PhysMemory and rejects anything malformed. Plain data only, so both sides and
// the host tests share this header.
#ifndef ARCH_X86_64_EFI_HANDOFF_H_
#define ARCH_X86_64_EFI_HANDOFF_H_

#include <stdint.h>

namespace arch::efi {

// `magic` of the hand-off block ("KEFI" little-endian), also passed in EDX.
inline constexpr uint32_t kHandoffMagic = 0x4946454b;
inline constexpr uint32_t kHandoffVersion = 1;
// The boot-protocol number the 64-bit EFI entry passes to ostd_boot_entry.
inline constexpr uint32_t kBootProtocolUefi = 3;
// At most this many memory-map entries (the parser's bound too).
inline constexpr uint32_t kHandoffMaxEntries = 1024;
// Longest command line the stub passes, without its NUL (ostd keeps 4096 bytes).
inline constexpr uint32_t kHandoffMaxCmdline = 4095;

// The `Keel` ELF note (name "Keel", this type) whose 8-byte descriptor is the
// physical address of the kernel's 64-bit EFI entry (arch/x86_64/boot.S).
inline constexpr uint32_t kNoteTypeEfi64Entry = 1;

// One memory-map entry, in the layout of an E820 / PVH memory-map entry.
struct E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  // 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad
  uint32_t reserved;
};
static_assert(sizeof(E820Entry) == 24);

inline constexpr uint32_t kE820Usable = 1;
inline constexpr uint32_t kE820Reserved = 2;
inline constexpr uint32_t kE820Acpi = 3;
inline constexpr uint32_t kE820Nvs = 4;
inline constexpr uint32_t kE820Unusable = 5;
// EFI unaccepted memory (a TDX guest must accept it before use), a type of
// Keel's handoff only: no legacy E820 type exists for it.
inline constexpr uint32_t kE820KeelUnaccepted = 0x4b45454c;  // "KEEL"

struct Handoff {
  uint32_t magic;            // kHandoffMagic
  uint32_t version;          // kHandoffVersion
  uint64_t total_size;       // bytes of the block, header included
  uint64_t cmdline_paddr;    // NUL-terminated ASCII, inside the block
  uint64_t loader_paddr;     // NUL-terminated ASCII loader name, inside the block
  uint64_t initramfs_paddr;  // 0 if there is no initramfs
  uint64_t initramfs_size;   // bytes
  uint64_t rsdp_paddr;       // ACPI RSDP (2.0 table if the firmware has one); 0 if none
  uint64_t memmap_paddr;     // E820Entry[memmap_entries], inside the block
  uint32_t memmap_entries;   // at most kHandoffMaxEntries
  uint32_t flags;            // kHandoffFlag* bits
};
static_assert(sizeof(Handoff) == 72);

// The RSDP came from the ACPI 1.0 table (the firmware had no 2.0 entry).
inline constexpr uint32_t kHandoffFlagAcpi1 = 1;

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_HANDOFF_H_
