#include "ostd/boot.h"
#include "ostd/boot/internal/parse.h"

namespace ostd {

std::string_view MemoryRegionKindName(MemoryRegionKind kind) {
  switch (kind) {
    case MemoryRegionKind::kUsable:
      return "usable";
    case MemoryRegionKind::kReserved:
      return "reserved";
    case MemoryRegionKind::kAcpiReclaimable:
      return "acpi-reclaimable";
    case MemoryRegionKind::kAcpiNvs:
      return "acpi-nvs";
    case MemoryRegionKind::kBadMemory:
      return "bad";
    case MemoryRegionKind::kKernel:
      return "kernel";
    case MemoryRegionKind::kModule:
      return "module";
    case MemoryRegionKind::kBootloader:
      return "bootloader";
    case MemoryRegionKind::kUnaccepted:
      return "unaccepted";
  }
  return "?";
}

std::string_view BootProtocolName(BootProtocol protocol) {
  switch (protocol) {
    case BootProtocol::kPvh:
      return "PVH";
    case BootProtocol::kMultiboot2:
      return "Multiboot2";
    case BootProtocol::kUefi:
      return "UEFI";
  }
  return "?";
}

std::optional<std::string_view> BootInfo::CmdlineValue(std::string_view key) const {
  return boot::CmdlineValue(cmdline, key);
}

bool BootInfo::CmdlineHas(std::string_view flag) const { return boot::CmdlineHas(cmdline, flag); }

}  // namespace ostd
