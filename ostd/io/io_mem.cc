#include "ostd/io/io_mem.h"

#include <atomic>
#include <new>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/boot.h"
#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/device_ranges.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/io/internal/io_mem_access.h"
#include "ostd/io/range_allocator.h"
#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/smp/madt.h"
#include "ostd/sync.h"

namespace ostd {
namespace {

using mm::kPageSize;

// The kernel-virtual window of an acquired range.
struct Region {
  Paddr paddr = 0;
  Vaddr vaddr = 0;  // maps paddr; same offset within the page
  uint64_t size = 0;
};

// Exactly one load or store of sizeof(T) bytes at `va` (which is aligned).
template <IoScalar T>
T LoadOnce(Vaddr va) {
  // SAFETY: `va` is inside a live IoMem mapping (callers checked the bounds
  // against the mapping) and aligned to sizeof(T); a volatile scalar access
  // compiles to exactly one mov of that width, which MMIO requires.
  return *reinterpret_cast<const volatile T*>(va);
}

template <IoScalar T>
void StoreOnce(Vaddr va, T value) {
  // SAFETY: as LoadOnce.
  *reinterpret_cast<volatile T*>(va) = value;
}

enum class Op : uint8_t { kFromIo, kToIo, kZero };

// Devices ostd drives itself, as whole pages. The local APIC is added at its
// actual base as well, in case firmware moved it.
constexpr io::PhysRange kFrameworkDevices[] = {
    {arch::kLapicDefaultPaddr, arch::kLapicDefaultPaddr + kPageSize},  // local APIC
    {0xfec00000, 0xfec00000 + kPageSize},                              // IOAPIC
    {0xfed00000, 0xfed00000 + kPageSize},                              // HPET (1 KiB)
};

SpinLock alloc_lock;
io::IoRangeAllocator allocator ABSL_GUARDED_BY(alloc_lock);
// 0: not built yet; 1: ready; 2: the memory map was too fragmented (fail closed).
int alloc_state ABSL_GUARDED_BY(alloc_lock) = 0;

// One past the highest physical address the CPU can generate.
Paddr PhysicalLimit() {
  unsigned bits = 36;  // architectural minimum when CPUID does not say
  if (arch::Cpuid(0x80000000).eax >= 0x80000008) bits = arch::Cpuid(0x80000008).eax & 0xff;
  if (bits < 32 || bits > 52) bits = 36;
  return Paddr{1} << bits;
}

Paddr allocator_limit = 0;

Status BuildLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(alloc_lock) {
  allocator_limit = PhysicalLimit();
  allocator.Reset(allocator_limit);
  for (const MemoryRegion& r : GetBootInfo().memory_map) {
    if (r.kind == MemoryRegionKind::kReserved || r.length == 0) continue;
    // Round outward: a page holding any RAM byte is never acquirable.
    OSTD_TRY(allocator.Exclude(mm::AlignDown(r.base, kPageSize), mm::AlignUp(r.end(), kPageSize)));
  }
  // The image is in the memory map as kKernel on every boot path; exclude it
  // again in case a loader reported it as reserved.
  Paddr image = internal::KernelVirtToPhys(internal::KernelImageStart());
  Paddr image_end = internal::KernelVirtToPhys(internal::KernelImageEnd());
  OSTD_TRY(allocator.Exclude(mm::AlignDown(image, kPageSize), mm::AlignUp(image_end, kPageSize)));
  for (const io::PhysRange& d : kFrameworkDevices) OSTD_TRY(allocator.AddSensitive(d.base, d.end));
  Paddr lapic = mm::AlignDown(internal::LapicPaddr(), kPageSize);
  OSTD_TRY(allocator.AddSensitive(lapic, lapic + kPageSize));
  // What the ACPI tables say controls the machine: every IOAPIC, HPET, the
  // ECAM window, DMAR units. Fail closed on a table too big for the result.
  internal::LinearPhysMemory mem;
  std::optional<Paddr> rsdp = GetBootInfo().acpi_rsdp;
  if (!rsdp && !GetBootInfo().uefi) rsdp = smp::ScanForRsdp(mem, 0xe0000, 0x20000);
  if (!rsdp) return {};
  Result<smp::AcpiDeviceRanges> acpi = smp::FindAcpiDeviceRanges(mem, *rsdp);
  if (!acpi) {
    OSTD_LOG_WARN("io_mem: cannot read the ACPI device tables ({})", acpi.error());
    return {};
  }
  if (acpi->truncated) return Err(Errno::kENOSPC);
  for (uint32_t i = 0; i < acpi->count; ++i) {
    const smp::AcpiDeviceRange& r = acpi->ranges[i];
    Paddr limit = allocator_limit;
    if (r.base >= limit) continue;
    Paddr end = r.size > limit - r.base ? limit : r.base + r.size;
    OSTD_TRY(allocator.AddSensitive(mm::AlignDown(r.base, kPageSize), mm::AlignUp(end, kPageSize)));
  }
  return {};
}

void EnsureBuiltLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(alloc_lock) {
  if (alloc_state != 0) return;
  Status built = BuildLocked();
  alloc_state = built.has_value() ? 1 : 2;
  if (!built) OSTD_LOG_ERROR("io_mem: memory map too fragmented; IoMem disabled");
}

// EACCES if any page of [paddr, paddr + size) is in the kernel's linear map
// (write-back; ostd/mm/page_table.cc): device memory must not have a cached
// alias next to IoMem's mapping.
Status CheckNotLinearMapped(Paddr paddr, uint64_t size) {
  Paddr base = mm::AlignDown(paddr, kPageSize);
  Paddr end = mm::AlignUp(paddr + size, kPageSize);
  if (end > internal::LinearMapSize()) end = internal::LinearMapSize();
  if (base >= end) return {};
  if (internal::KernelPageTable()
          .FindNextMapped(internal::PhysToVirt(base), internal::PhysToVirt(end))
          .has_value()) {
    return Err(Errno::kEACCES);
  }
  return {};
}

Status ClaimRange(Paddr paddr, uint64_t size, bool sensitive) {
  if (!sensitive) {
    // Only what a device decodes (ostd's PCI scan), never MSI-X structures.
    OSTD_TRY(internal::CheckDeviceMemory(paddr, size));
    OSTD_TRY(CheckNotLinearMapped(paddr, size));
  }
  SpinLockGuard guard(alloc_lock);
  EnsureBuiltLocked();
  if (alloc_state != 1) return Err(Errno::kENOMEM);
  return allocator.Claim(paddr, size, sensitive);
}

void ReleaseRange(Paddr paddr, uint64_t size) {
  SpinLockGuard guard(alloc_lock);
  if (!allocator.Release(paddr, size)) OSTD_PANIC("io_mem: release of unclaimed {:#x}", paddr);
}

struct PageSpan {
  Vaddr va;  // page aligned
  uint64_t len;
};

void FlushSpanOnThisCpu(void* arg) {
  // SAFETY: `arg` is the PageSpan CallOnCpus was given; it outlives the call.
  const PageSpan* span = static_cast<const PageSpan*>(arg);
  for (uint64_t off = 0; off < span->len; off += kPageSize) internal::FlushTlbPage(span->va + off);
}

// Unmaps the pages of `span` mapped so far (the first `mapped` bytes) and flushes
// them from every CPU's TLB. Nothing may use the mapping any more.
void UnmapAndFlush(PageSpan span, uint64_t mapped) {
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    for (uint64_t off = 0; off < mapped; off += kPageSize) {
      Result<internal::Mapping> m = internal::KernelPageTable().Unmap(span.va + off);
      OSTD_ASSERT(m.has_value());
      internal::FlushTlbPage(span.va + off);
    }
  }
  // No preemption in Keel: this CPU stays the caller's until we return.
  CpuSet others = internal::OnlineCpus();
  others.Remove(cpu::CurrentId());
  if (!others.empty() && mapped != 0) {
    if (!arch::InterruptsEnabled()) {
      OSTD_PANIC("io_mem: IoMem released with interrupts disabled ({} other CPUs)", others.count());
    }
    PageSpan flushed{span.va, mapped};
    internal::CallOnCpus(others, &FlushSpanOnThisCpu, &flushed);
  }
}

Result<Region> AcquireRegion(Paddr paddr, uint64_t size, bool sensitive, CachePolicy policy) {
  if (size == 0) return Err(Errno::kEINVAL);
  if (size > ~uint64_t{0} - paddr) return Err(Errno::kEOVERFLOW);
  OSTD_TRY(ClaimRange(paddr, size, sensitive));
  // The claim lies below the physical limit (< 2^52), so the rounding cannot wrap.
  PageSpan span{0, mm::AlignUp(paddr + size, kPageSize) - mm::AlignDown(paddr, kPageSize)};
  Paddr base = mm::AlignDown(paddr, kPageSize);
  Result<Vaddr> va = internal::AllocKernelVirtual(span.len);
  if (!va) {
    ReleaseRange(paddr, size);
    return Err(va.error());
  }
  span.va = *va;
  // In a TD device memory is shared with the host, which emulates every
  // access (docs/tdx.md); the simulator's host needs a mapping of its own,
  // and the guest's pages are then not present so that each access faults
  // into the #VE path as it does in a TD.
  uint64_t shared_mark = internal::SharedPteMark();
  Result<bool> sim_host = shared_mark != 0 ? internal::SimHostMapMmio(base, span.len) : false;
  if (!sim_host) {
    internal::FreeKernelVirtual(span.va, span.len);
    ReleaseRange(paddr, size);
    return Err(sim_host.error());
  }
  mm::PageFlags flags{.writable = true,
                      .executable = false,
                      .uncached = policy == CachePolicy::kUncached,
                      .global = true,
                      .device = true,
                      .inaccessible = *sim_host};
  uint64_t mapped = 0;
  Status status;
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    for (; mapped < span.len; mapped += kPageSize) {
      status = internal::KernelPageTable().Map(span.va + mapped, base + mapped, kPageSize, flags);
      if (!status) break;
    }
    if (status && shared_mark != 0) {
      status =
          internal::KernelPageTable().SetLeafMark(span.va, span.va + span.len, shared_mark, true);
    }
  }
  if (!status) {
    UnmapAndFlush(span, mapped);
    internal::FreeKernelVirtual(span.va, span.len);
    ReleaseRange(paddr, size);
    return Err(status.error());
  }
  return Region{paddr, span.va + (paddr - base), size};
}

void ReleaseRegion(const Region& region) {
  Vaddr va = mm::AlignDown(region.vaddr, kPageSize);
  uint64_t len = mm::AlignUp(region.vaddr + region.size, kPageSize) - va;
  UnmapAndFlush(PageSpan{va, len}, len);
  // Only now, with no translation left on any CPU, may the virtual area and
  // the physical range be reused.
  internal::FreeKernelVirtual(va, len);
  ReleaseRange(region.paddr, region.size);
}

// The single bulk data path over `len` bytes of device memory at `io`:
// kFromIo copies them to `to_mem`, kToIo copies `from_mem` to them, kZero
// writes zeros (the unused pointer may be null). Naturally aligned 1- and
// 8-byte volatile accesses, in increasing address order. Bounds are checked
// by the caller.
void Transfer(Vaddr io, uint64_t len, Op op, uint8_t* to_mem, const uint8_t* from_mem) {
  uint64_t done = 0;
  // One access of `width` bytes at io + done (aligned to width).
  auto step = [&](auto zero) {
    using T = decltype(zero);
    switch (op) {
      case Op::kFromIo: {
        T v = LoadOnce<T>(io + done);
        // SAFETY: to_mem[done, done+sizeof(T)) is inside the caller's span.
        __builtin_memcpy(to_mem + done, &v, sizeof(T));
        break;
      }
      case Op::kToIo: {
        T v;
        // SAFETY: from_mem[done, done+sizeof(T)) is inside the caller's span.
        __builtin_memcpy(&v, from_mem + done, sizeof(T));
        StoreOnce<T>(io + done, v);
        break;
      }
      case Op::kZero:
        StoreOnce<T>(io + done, zero);
        break;
    }
    done += sizeof(T);
  };
  while (done < len && ((io + done) & 7) != 0) step(uint8_t{0});
  while (len - done >= 8) step(uint64_t{0});
  while (done < len) step(uint8_t{0});
}

// VmReader/VmWriter keep their cursors private to ostd/vm, so the data goes
// through a small bounce buffer on the stack. A direct path needs a TCB-only
// accessor for a cursor's current span in ostd/vm/vm_io.h.
constexpr uint64_t kBounceBytes = 256;

void TransferToWriter(Vaddr io, uint64_t len, vm::VmWriter<vm::Infallible>& writer) {
  uint8_t bounce[kBounceBytes];
  for (uint64_t done = 0; done < len;) {
    uint64_t n = len - done < kBounceBytes ? len - done : kBounceBytes;
    Transfer(io + done, n, Op::kFromIo, bounce, nullptr);
    auto src = vm::VmReader<vm::Infallible>::FromSpan(std::span<const uint8_t>(bounce, n));
    uint64_t copied = src.ReadTo(writer);
    OSTD_ASSERT(copied == n);  // the caller checked writer.avail() >= len
    done += n;
  }
}

void TransferFromReader(Vaddr io, uint64_t len, vm::VmReader<vm::Infallible>& reader) {
  uint8_t bounce[kBounceBytes];
  for (uint64_t done = 0; done < len;) {
    uint64_t n = len - done < kBounceBytes ? len - done : kBounceBytes;
    auto dst = vm::VmWriter<vm::Infallible>::FromSpan(std::span<uint8_t>(bounce, n));
    uint64_t copied = reader.ReadTo(dst);
    OSTD_ASSERT(copied == n);  // the caller checked reader.remain() >= len
    Transfer(io + done, n, Op::kToIo, nullptr, bounce);
    done += n;
  }
}

}  // namespace

struct IoMapping::Rep {
  Region region;
  std::atomic<uint64_t> refs{1};
};

IoMapping::IoMapping(const IoMapping& other) : rep_(other.rep_) {
  if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
}

IoMapping::~IoMapping() {
  if (rep_ != nullptr && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    ReleaseRegion(rep_->region);
    delete rep_;
  }
}

Result<IoMapping> IoMapping::Acquire(Paddr paddr, uint64_t size, bool sensitive,
                                     CachePolicy policy) {
  Rep* rep = new (std::nothrow) Rep();
  if (rep == nullptr) return Err(Errno::kENOMEM);
  Result<Region> r = AcquireRegion(paddr, size, sensitive, policy);
  if (!r) {
    delete rep;
    return Err(r.error());
  }
  rep->region = *r;
  return IoMapping(rep);
}

Paddr IoMapping::paddr() const { return rep_ == nullptr ? 0 : rep_->region.paddr; }
uint64_t IoMapping::size() const { return rep_ == nullptr ? 0 : rep_->region.size; }
Vaddr IoMapping::vaddr() const { return rep_ == nullptr ? 0 : rep_->region.vaddr; }

namespace {

// OK if [offset, offset + len) lies inside `m` (an empty mapping has size 0).
Status CheckInside(uint64_t size, uint64_t offset, uint64_t len) {
  if (len > ~uint64_t{0} - offset || offset + len > size) return Err(Errno::kEINVAL);
  return {};
}

}  // namespace

Result<uint64_t> IoMapping::Load(uint64_t offset, uint64_t width) const {
  OSTD_TRY(CheckInside(size(), offset, width));
  Vaddr va = vaddr() + offset;
  if ((va & (width - 1)) != 0) return Err(Errno::kEINVAL);
  switch (width) {
    case 1:
      return LoadOnce<uint8_t>(va);
    case 2:
      return LoadOnce<uint16_t>(va);
    case 4:
      return LoadOnce<uint32_t>(va);
    case 8:
      return LoadOnce<uint64_t>(va);
    default:
      return Err(Errno::kEINVAL);
  }
}

Status IoMapping::Store(uint64_t offset, uint64_t width, uint64_t value) const {
  OSTD_TRY(CheckInside(size(), offset, width));
  Vaddr va = vaddr() + offset;
  if ((va & (width - 1)) != 0) return Err(Errno::kEINVAL);
  switch (width) {
    case 1:
      StoreOnce<uint8_t>(va, static_cast<uint8_t>(value));
      return {};
    case 2:
      StoreOnce<uint16_t>(va, static_cast<uint16_t>(value));
      return {};
    case 4:
      StoreOnce<uint32_t>(va, static_cast<uint32_t>(value));
      return {};
    case 8:
      StoreOnce<uint64_t>(va, value);
      return {};
    default:
      return Err(Errno::kEINVAL);
  }
}

Status IoMapping::CopyFrom(uint64_t offset, std::span<uint8_t> dst) const {
  OSTD_TRY(CheckInside(size(), offset, dst.size()));
  Transfer(vaddr() + offset, dst.size(), Op::kFromIo, dst.data(), nullptr);
  return {};
}

Status IoMapping::CopyTo(uint64_t offset, std::span<const uint8_t> src) const {
  OSTD_TRY(CheckInside(size(), offset, src.size()));
  Transfer(vaddr() + offset, src.size(), Op::kToIo, nullptr, src.data());
  return {};
}

Status IoMapping::Zero(uint64_t offset, uint64_t len) const {
  OSTD_TRY(CheckInside(size(), offset, len));
  Transfer(vaddr() + offset, len, Op::kZero, nullptr, nullptr);
  return {};
}

Status IoMapping::ToWriter(uint64_t offset, uint64_t len,
                           vm::VmWriter<vm::Infallible>& writer) const {
  OSTD_TRY(CheckInside(size(), offset, len));
  if (len > writer.avail()) return Err(Errno::kEINVAL);
  TransferToWriter(vaddr() + offset, len, writer);
  return {};
}

Status IoMapping::FromReader(uint64_t offset, uint64_t len,
                             vm::VmReader<vm::Infallible>& reader) const {
  OSTD_TRY(CheckInside(size(), offset, len));
  if (len > reader.remain()) return Err(Errno::kEINVAL);
  TransferFromReader(vaddr() + offset, len, reader);
  return {};
}

template class IoMemView<Insensitive>;
template class IoMemView<Sensitive>;
template class IoMem<Insensitive>;
template class IoMem<Sensitive>;

namespace internal {

void InitDeviceMemory() {
  SpinLockGuard guard(alloc_lock);
  EnsureBuiltLocked();
  auto carve = [](Paddr base, Paddr end) {
    Status s = RemoveFromLinearMap(base, end);
    if (!s) {
      OSTD_PANIC("io_mem: cannot unmap {:#x}-{:#x} from the linear map: {}", base, end, s.error());
    }
  };
  if (alloc_state == 1) {
    allocator.ForEachSensitive(carve);
    return;
  }
  // No allocator (fail closed): at least the devices ostd drives itself.
  for (const io::PhysRange& d : kFrameworkDevices) carve(d.base, d.end);
  Paddr lapic = mm::AlignDown(internal::LapicPaddr(), kPageSize);
  carve(lapic, lapic + kPageSize);
}

}  // namespace internal
}  // namespace ostd
