// Finding the ACPI RSDP in the UEFI configuration table. Pure logic (the EFI
// stub and the host tests share it).
#ifndef ARCH_X86_64_EFI_CONFIG_TABLE_H_
#define ARCH_X86_64_EFI_CONFIG_TABLE_H_

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/efi/efi.h"

namespace arch::efi {

inline constexpr Guid kAcpi20TableGuid = {
    0x8868e871, 0xe4f1, 0x11d3, {0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81}};
inline constexpr Guid kAcpi10TableGuid = {
    0xeb9d2d30, 0x2d88, 0x11d3, {0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d}};

struct RsdpLookup {
  void* table;  // the RSDP as the firmware published it; null if neither GUID is there
  bool acpi1;   // found under the ACPI 1.0 GUID (no 2.0 entry)
};

// The ACPI 2.0 table entry if there is one, else the ACPI 1.0 one.
RsdpLookup FindRsdp(const ConfigurationTable* tables, size_t count);

// True if `bytes` (at least 20) start with a valid RSDP: the "RSD PTR "
// signature and a zero checksum over the first 20 bytes (the ACPI 1.0 part).
bool RsdpLooksValid(const uint8_t* bytes);

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_CONFIG_TABLE_H_
