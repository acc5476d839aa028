// The kernel's virtual memory layout. Internal to the TCB.
//
//   0x0000000000000000 - 0x00007fffffffffff  user space
//   0xffff800000000000 - ...                  linear map of physical memory
//   0xffffc00000000000 - 0xffffc0ffffffffff  MMIO mappings (uncached)
//   0xffffc90000000000 - 0xffffe8ffffffffff  kernel virtual areas (stacks, tests)
//   0xffffffff80000000 - 0xffffffff9fffffff  kernel image (loaded at 16 MiB)
//   0xffffffffa0000000 - 0xfffffffffeffffff  modules
#ifndef OSTD_INTERNAL_LAYOUT_H_
#define OSTD_INTERNAL_LAYOUT_H_

#include <cstdint>
#include <span>

#include "ostd/boot.h"
#include "ostd/boot/internal/parse.h"

namespace ostd::internal {

inline constexpr Vaddr kLinearMapBase = 0xffff800000000000;
inline constexpr Vaddr kMmioBase = 0xffffc00000000000;
inline constexpr Vaddr kMmioEnd = 0xffffc10000000000;
inline constexpr Vaddr kKvaBase = 0xffffc90000000000;
inline constexpr Vaddr kKvaEnd = 0xffffe90000000000;
inline constexpr Vaddr kKernelVma = 0xffffffff80000000;
inline constexpr Vaddr kModuleBase = 0xffffffffa0000000;
inline constexpr Vaddr kModuleEnd = 0xffffffffff000000;
inline constexpr Vaddr kUserEnd = 0x0000800000000000;

// Physical <-> linear-map virtual addresses.
inline Vaddr PhysToVirt(Paddr p) { return kLinearMapBase + p; }
inline Paddr VirtToPhys(Vaddr v) { return v - kLinearMapBase; }

// The bytes of physical memory [p, p+len) through the linear map.
std::span<uint8_t> PhysBytes(Paddr p, uint64_t len);

// Bytes of physical memory covered by the linear map (set once at boot).
uint64_t LinearMapSize();

// True if [addr, addr+len) lies in the kernel image or the linear map, which are
// mapped for the whole life of the kernel.
bool IsAlwaysMappedKernelRange(Vaddr addr, uint64_t len);

// Firmware tables (ACPI) read through the linear map, checked against it (the
// map has holes: device ranges and what firmware does not describe): the
// PhysMemory the MADT/MCFG/DMAR parsers take.
class LinearPhysMemory final : public boot::PhysMemory {
 public:
  std::span<const uint8_t> Bytes(Paddr p, size_t len) const override {
    uint64_t limit = LinearMapSize();
    if (p >= limit || len > limit - p) return {};
    if (len != 0 && !IsAlwaysMappedKernelRange(PhysToVirt(p), len)) return {};
    return PhysBytes(p, len);
  }
};

// Removes physical [base, end) (page aligned) from the linear map, splitting
// the large pages that straddle its ends, so that device memory the TCB maps
// uncached has no write-back alias. Boot CPU only, before the others start:
// flushes this CPU's TLB alone. ENOMEM (no frame for a split page table).
Status RemoveFromLinearMap(Paddr base, Paddr end);

// PageTable::SetLeafMark on the linear-map entries of physical [base, end)
// (page aligned), under the kernel page-table lock: how a TD marks the pages
// it shares with the host. The caller flushes every CPU's TLB for the range
// afterwards (global entries). EINVAL outside the linear map, else as
// SetLeafMark.
Status MarkLinearMap(Paddr base, Paddr end, uint64_t mark, bool set);

// Kernel image bounds (from the linker script).
Vaddr KernelImageStart();
Vaddr KernelImageEnd();
inline Paddr KernelVirtToPhys(Vaddr v) { return v - kKernelVma; }

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_LAYOUT_H_
