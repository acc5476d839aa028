#include "ostd/boot/internal/parse.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <type_traits>

#include "arch/x86_64/efi/handoff.h"

namespace ostd::boot {
namespace {

template <typename T>
bool Load(const PhysMemory& mem, Paddr addr, T* out) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::span<const uint8_t> b = mem.Bytes(addr, sizeof(T));
  if (b.size() != sizeof(T)) return false;
  // SAFETY: `b` holds exactly sizeof(T) readable bytes and T is trivially copyable.
  __builtin_memcpy(out, b.data(), sizeof(T));
  return true;
}

// A NUL-terminated string of at most `max` bytes at `addr` (without the NUL).
std::string_view LoadString(const PhysMemory& mem, Paddr addr, size_t max) {
  for (size_t len = 0; len < max; ++len) {
    std::span<const uint8_t> b = mem.Bytes(addr + len, 1);
    if (b.empty()) return {};
    if (b[0] == 0) {
      std::span<const uint8_t> all = mem.Bytes(addr, len);
      // SAFETY: `all` covers `len` readable bytes; char and uint8_t alias.
      return std::string_view(reinterpret_cast<const char*>(all.data()), len);
    }
  }
  return {};
}

constexpr size_t kMaxCmdline = 4096;
constexpr uint32_t kMaxMemmapEntries = 1024;

struct PvhStartInfo {
  uint32_t magic;
  uint32_t version;
  uint32_t flags;
  uint32_t nr_modules;
  uint64_t modlist_paddr;
  uint64_t cmdline_paddr;
  uint64_t rsdp_paddr;
  uint64_t memmap_paddr;
  uint32_t memmap_entries;
  uint32_t reserved;
};
static_assert(sizeof(PvhStartInfo) == 56);

struct PvhModule {
  uint64_t paddr;
  uint64_t size;
  uint64_t cmdline_paddr;
  uint64_t reserved;
};

struct PvhMemmapEntry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
  uint32_t reserved;
};

struct Mb2Tag {
  uint32_t type;
  uint32_t size;
};

struct Mb2Module {
  uint32_t type;
  uint32_t size;
  uint32_t mod_start;
  uint32_t mod_end;
};

struct Mb2MmapHeader {
  uint32_t type;
  uint32_t size;
  uint32_t entry_size;
  uint32_t entry_version;
};

enum Mb2TagType : uint32_t {
  kMb2End = 0,
  kMb2Cmdline = 1,
  kMb2LoaderName = 2,
  kMb2Module = 3,
  kMb2Mmap = 6,
  kMb2Efi64 = 12,
  kMb2AcpiOld = 14,
  kMb2AcpiNew = 15,
  kMb2EfiMmap = 17,
};

}  // namespace

MemoryRegionKind KindFromE820(uint32_t type) {
  switch (type) {
    case 1:
      return MemoryRegionKind::kUsable;
    case 3:
      return MemoryRegionKind::kAcpiReclaimable;
    case 4:
      return MemoryRegionKind::kAcpiNvs;
    case 5:
      return MemoryRegionKind::kBadMemory;
    case arch::efi::kE820KeelUnaccepted:
      return MemoryRegionKind::kUnaccepted;
    default:
      return MemoryRegionKind::kReserved;
  }
}

Status ParsePvh(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map) {
  // Version 0 ends after rsdp_paddr (40 bytes); read the version 1 tail only if present.
  constexpr size_t kVersion0Size = 40;
  PvhStartInfo si{};
  std::span<const uint8_t> head = mem.Bytes(info, kVersion0Size);
  if (head.size() != kVersion0Size) return Err(Errno::kEINVAL);
  // SAFETY: `head` holds kVersion0Size readable bytes, a prefix of the trivially
  // copyable PvhStartInfo.
  __builtin_memcpy(&si, head.data(), kVersion0Size);
  if (si.magic != kPvhStartInfoMagic) return Err(Errno::kEINVAL);
  if (si.version >= 1 && !Load(mem, info, &si)) return Err(Errno::kEINVAL);
  out->protocol = BootProtocol::kPvh;
  out->loader_name = "QEMU PVH";
  out->info_base = info;
  out->info_size = si.version >= 1 ? sizeof(PvhStartInfo) : kVersion0Size;
  if (si.cmdline_paddr != 0) out->cmdline = LoadString(mem, si.cmdline_paddr, kMaxCmdline);
  if (si.rsdp_paddr != 0) {
    out->has_rsdp = true;
    out->rsdp = si.rsdp_paddr;
  }
  if (si.nr_modules > 0 && si.modlist_paddr != 0) {
    PvhModule m;
    if (!Load(mem, si.modlist_paddr, &m)) return Err(Errno::kEINVAL);
    if (m.size > 0 && m.paddr + m.size > m.paddr) {
      out->has_initramfs = true;
      out->initramfs_base = m.paddr;
      out->initramfs_size = m.size;
    }
  }
  if (si.version < 1 || si.memmap_paddr == 0) {
    // Version 0 carries no memory map; the caller falls back to a minimal one.
    return {};
  }
  if (si.memmap_entries > kMaxMemmapEntries) return Err(Errno::kEINVAL);
  for (uint32_t i = 0; i < si.memmap_entries; ++i) {
    PvhMemmapEntry e;
    if (!Load(mem, si.memmap_paddr + uint64_t{i} * sizeof(PvhMemmapEntry), &e)) {
      return Err(Errno::kEINVAL);
    }
    map->Add(e.addr, e.size, KindFromE820(e.type));
  }
  return {};
}

Status ParseMultiboot2(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map) {
  uint32_t header[2];
  if (!Load(mem, info, &header)) return Err(Errno::kEINVAL);
  uint32_t total = header[0];
  if (total < 16 || total > (16u << 20)) return Err(Errno::kEINVAL);
  out->protocol = BootProtocol::kMultiboot2;
  out->info_base = info;
  out->info_size = total;
  bool saw_end = false;
  uint64_t off = 8;
  while (off + sizeof(Mb2Tag) <= total) {
    Mb2Tag tag;
    Paddr at = info + off;
    if (!Load(mem, at, &tag)) return Err(Errno::kEINVAL);
    if (tag.size < sizeof(Mb2Tag) || off + tag.size > total) return Err(Errno::kEINVAL);
    if (tag.type == kMb2End) {
      saw_end = true;
      break;
    }
    size_t payload = tag.size - sizeof(Mb2Tag);
    switch (tag.type) {
      case kMb2Cmdline:
        out->cmdline = LoadString(mem, at + 8, payload);
        break;
      case kMb2LoaderName:
        out->loader_name = LoadString(mem, at + 8, payload);
        break;
      case kMb2Module: {
        Mb2Module m;
        if (tag.size < sizeof(Mb2Module) || !Load(mem, at, &m)) return Err(Errno::kEINVAL);
        if (!out->has_initramfs && m.mod_end > m.mod_start) {
          out->has_initramfs = true;
          out->initramfs_base = m.mod_start;
          out->initramfs_size = m.mod_end - m.mod_start;
        }
        break;
      }
      case kMb2Mmap: {
        Mb2MmapHeader h;
        if (tag.size < sizeof(Mb2MmapHeader) || !Load(mem, at, &h)) return Err(Errno::kEINVAL);
        if (h.entry_size < sizeof(PvhMemmapEntry)) return Err(Errno::kEINVAL);
        for (uint64_t e_off = sizeof(Mb2MmapHeader); e_off + h.entry_size <= tag.size;
             e_off += h.entry_size) {
          PvhMemmapEntry e;  // Same layout: base, length, type, reserved.
          if (!Load(mem, at + e_off, &e)) return Err(Errno::kEINVAL);
          map->Add(e.addr, e.size, KindFromE820(e.type));
        }
        break;
      }
      case kMb2AcpiOld:
      case kMb2AcpiNew:
        // The tag holds a copy of the RSDP; prefer the ACPI 2.0 one.
        if (!out->has_rsdp || tag.type == kMb2AcpiNew) {
          out->has_rsdp = true;
          out->rsdp = at + 8;
        }
        break;
      case kMb2Efi64:
      case kMb2EfiMmap:
        out->uefi = true;
        break;
      default:
        break;
    }
    off += (tag.size + 7) & ~uint64_t{7};
  }
  if (!saw_end) return Err(Errno::kEINVAL);
  return {};
}

Status ParseKeelEfi(const PhysMemory& mem, Paddr info, RawBootInfo* out, MemoryMapBuilder* map) {
  namespace efi = arch::efi;
  efi::Handoff h;
  if (!Load(mem, info, &h)) return Err(Errno::kEINVAL);
  if (h.magic != efi::kHandoffMagic || h.version != efi::kHandoffVersion)
    return Err(Errno::kEINVAL);
  if (h.total_size < sizeof(efi::Handoff) || h.total_size > (16u << 20)) return Err(Errno::kEINVAL);
  // Bytes of the block from `p` on (0 if `p` is outside it).
  auto room = [&](Paddr p) -> uint64_t {
    if (p < info || p - info >= h.total_size) return 0;
    return h.total_size - (p - info);
  };
  if (room(h.cmdline_paddr) == 0 || room(h.loader_paddr) == 0) return Err(Errno::kEINVAL);
  if (h.memmap_entries > efi::kHandoffMaxEntries ||
      room(h.memmap_paddr) < uint64_t{h.memmap_entries} * sizeof(efi::E820Entry)) {
    return Err(Errno::kEINVAL);
  }
  out->protocol = BootProtocol::kUefi;
  out->uefi = true;
  out->info_base = info;
  out->info_size = h.total_size;
  out->cmdline =
      LoadString(mem, h.cmdline_paddr, std::min<uint64_t>(room(h.cmdline_paddr), kMaxCmdline));
  out->loader_name = LoadString(mem, h.loader_paddr, std::min<uint64_t>(room(h.loader_paddr), 128));
  if (h.rsdp_paddr != 0) {
    out->has_rsdp = true;
    out->rsdp = h.rsdp_paddr;
  }
  if (h.initramfs_paddr != 0 && h.initramfs_size > 0 &&
      h.initramfs_paddr + h.initramfs_size > h.initramfs_paddr) {
    out->has_initramfs = true;
    out->initramfs_base = h.initramfs_paddr;
    out->initramfs_size = h.initramfs_size;
  }
  for (uint32_t i = 0; i < h.memmap_entries; ++i) {
    efi::E820Entry e;
    if (!Load(mem, h.memmap_paddr + uint64_t{i} * sizeof(e), &e)) return Err(Errno::kEINVAL);
    map->Add(e.addr, e.size, KindFromE820(e.type));
  }
  return {};
}

namespace {

// Calls fn(word) for each space-separated word of `cmdline`; stops when fn returns false.
template <typename Fn>
void ForEachWord(std::string_view cmdline, Fn fn) {
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && cmdline[i] == ' ') ++i;
    size_t start = i;
    while (i < cmdline.size() && cmdline[i] != ' ') ++i;
    if (i > start && !fn(cmdline.substr(start, i - start))) return;
  }
}

}  // namespace

std::optional<std::string_view> CmdlineValue(std::string_view cmdline, std::string_view key) {
  std::optional<std::string_view> result;
  ForEachWord(cmdline, [&](std::string_view word) {
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=') {
      result = word.substr(key.size() + 1);
    }
    return true;
  });
  return result;
}

bool CmdlineHas(std::string_view cmdline, std::string_view flag) {
  bool found = false;
  ForEachWord(cmdline, [&](std::string_view word) {
    if (word == flag || (word.size() > flag.size() && word.substr(0, flag.size()) == flag &&
                         word[flag.size()] == '=')) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

}  // namespace ostd::boot
