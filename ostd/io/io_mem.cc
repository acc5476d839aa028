#include "ostd/io/io_mem.h"

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ostd/boot.h"
#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/io/range_allocator.h"
#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/panic.h"
#include "ostd/sync.h"

namespace ostd::io_mem_internal {
namespace {

using mm::kPageSize;

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

Status BuildLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(alloc_lock) {
  allocator.Reset(PhysicalLimit());
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
  Paddr lapic = mm::AlignDown(arch::LapicPaddr(), kPageSize);
  return allocator.AddSensitive(lapic, lapic + kPageSize);
}

Status ClaimRange(Paddr paddr, uint64_t size, bool sensitive) {
  SpinLockGuard guard(alloc_lock);
  if (alloc_state == 0) {
    Status built = BuildLocked();
    alloc_state = built.has_value() ? 1 : 2;
    if (!built) OSTD_LOG_ERROR("io_mem: memory map too fragmented; IoMem disabled");
  }
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

}  // namespace

Result<Region> Acquire(Paddr paddr, uint64_t size, bool sensitive, CachePolicy policy) {
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
  mm::PageFlags flags{.writable = true,
                      .executable = false,
                      .uncached = policy == CachePolicy::kUncached,
                      .global = true};
  uint64_t mapped = 0;
  Status status;
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    for (; mapped < span.len; mapped += kPageSize) {
      status = internal::KernelPageTable().Map(span.va + mapped, base + mapped, kPageSize, flags);
      if (!status) break;
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

void Release(const Region& region) {
  Vaddr va = mm::AlignDown(region.vaddr, kPageSize);
  uint64_t len = mm::AlignUp(region.vaddr + region.size, kPageSize) - va;
  UnmapAndFlush(PageSpan{va, len}, len);
  // Only now, with no translation left on any CPU, may the virtual area and
  // the physical range be reused.
  internal::FreeKernelVirtual(va, len);
  ReleaseRange(region.paddr, region.size);
}

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

}  // namespace ostd::io_mem_internal
