#include "arch/x86_64/efi/memory_map.h"

#include "arch/x86_64/efi/efi.h"

namespace arch::efi {

uint32_t E820TypeFromEfi(uint32_t efi_type) {
  switch (efi_type) {
    case kLoaderCode:
    case kLoaderData:
    case kBootServicesCode:
    case kBootServicesData:
    case kConventionalMemory:
      return kE820Usable;
    case kAcpiReclaimMemory:
      return kE820Acpi;
    case kAcpiMemoryNvs:
      return kE820Nvs;
    case kUnusableMemory:
      return kE820Unusable;
    case kUnacceptedMemory:
      return kE820KeelUnaccepted;
    default:
      return kE820Reserved;
  }
}

ConvertResult ConvertMemoryMap(const uint8_t* map, size_t map_size, size_t desc_size,
                               E820Entry* out, size_t cap) {
  ConvertResult r{MapError::kOk, 0, 0};
  if (desc_size < sizeof(MemoryDescriptor) || map_size % desc_size != 0) {
    r.error = MapError::kBadDescriptorSize;
    return r;
  }
  for (size_t off = 0; off < map_size; off += desc_size) {
    MemoryDescriptor d;
    // SAFETY: off + desc_size <= map_size and desc_size >= sizeof(d), so the
    // source bytes lie inside the caller's map; d is plain data.
    __builtin_memcpy(&d, map + off, sizeof(d));
    constexpr uint64_t kMaxPages = ~uint64_t{0} >> 12;
    if (d.number_of_pages == 0 || d.number_of_pages > kMaxPages) {
      ++r.dropped;
      continue;
    }
    uint64_t size = d.number_of_pages << 12;
    if (d.physical_start + size < d.physical_start) {
      ++r.dropped;
      continue;
    }
    E820Entry e{d.physical_start, size, E820TypeFromEfi(d.type), 0};
    if (r.count == cap) {
      r.error = MapError::kTooMany;
      return r;
    }
    // Insertion sort: firmware maps are short and usually sorted already.
    size_t pos = r.count;
    while (pos > 0 && out[pos - 1].addr > e.addr) {
      out[pos] = out[pos - 1];
      --pos;
    }
    out[pos] = e;
    ++r.count;
  }
  // Merge touching neighbours of one type.
  size_t kept = 0;
  for (size_t i = 0; i < r.count; ++i) {
    if (kept > 0 && out[kept - 1].type == out[i].type &&
        out[kept - 1].addr + out[kept - 1].size == out[i].addr) {
      out[kept - 1].size += out[i].size;
    } else {
      out[kept++] = out[i];
    }
  }
  r.count = kept;
  return r;
}

bool FreeAfterExit(const uint8_t* map, size_t map_size, size_t desc_size, uint64_t lo,
                   uint64_t hi) {
  if (lo >= hi || desc_size < sizeof(MemoryDescriptor) || map_size % desc_size != 0) return false;
  // Advance `lo` through descriptors that cover it until the range is covered;
  // descriptors may come in any order, so rescan after each step.
  bool progress = true;
  while (lo < hi && progress) {
    progress = false;
    for (size_t off = 0; off < map_size; off += desc_size) {
      MemoryDescriptor d;
      // SAFETY: as in ConvertMemoryMap.
      __builtin_memcpy(&d, map + off, sizeof(d));
      if (d.type != kConventionalMemory && d.type != kBootServicesCode &&
          d.type != kBootServicesData) {
        continue;
      }
      if (d.number_of_pages > (~uint64_t{0} >> 12)) continue;
      uint64_t end = d.physical_start + (d.number_of_pages << 12);
      if (end < d.physical_start) continue;
      if (d.physical_start <= lo && lo < end) {
        lo = end;
        progress = true;
        if (lo >= hi) break;
      }
    }
  }
  return lo >= hi;
}

}  // namespace arch::efi
