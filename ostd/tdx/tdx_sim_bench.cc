// The cost of the TDX paths on the simulator, next to the native ones
// (docs/benchmarks.md): an MMIO read (a plain uncached load, then the same
// register through a not-present shared mapping: #PF, the simulator's EPT
// violation, #VE, decoding, the MMIO TDVMCALL, the simulated host's access),
// a MapGPA round trip of one page (private to shared to private, with the
// acceptance that follows), a one-page DmaCoherent allocated and dropped, and
// a 4 KiB stream sync (a fence natively, a bounce copy in a TD), and a
// self-IPI sent and taken (the xAPIC page natively; in a TD the x2APIC ICR
// as a TDVMCALL and the EOI as the CPU's virtualized APIC). Medians of
// many runs measured with timer::NowNanos; the simulated module runs in the
// same kernel, so these are the guest's costs plus the simulator's, not a
// TD's. Not a test:
//   bazel run //ostd/tdx:tdx_sim_bench_run
#include <algorithm>
#include <cstdint>
#include <utility>

#include "arch/x86_64/apic.h"
#include "ostd/entry.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/io/dma.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/smp/internal/tlb.h"
#include "ostd/sync.h"
#include "ostd/tdx/internal/guest.h"
#include "ostd/tdx/internal/tdx_sim_kernel.h"
#include "ostd/tdx/internal/ve_handler.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

constexpr size_t kRuns = 301;
constexpr size_t kWarmup = 10;
// The I/O APIC's register page: always there, and reading IOREGSEL changes
// nothing.
constexpr Paddr kIoApic = 0xfec00000;

uint64_t samples[kRuns];

uint64_t Median() {
  std::ranges::nth_element(samples, samples + kRuns / 2);
  return samples[kRuns / 2];
}

// Times `fn` kWarmup + kRuns times and prints the median of the last kRuns.
template <typename Fn>
uint64_t Measure(const char* what, Fn&& fn) {
  for (size_t i = 0; i < kWarmup + kRuns; ++i) {
    uint64_t t0 = timer::NowNanos();
    bool ok = fn();
    uint64_t t1 = timer::NowNanos();
    if (!ok) {
      Println("tdx_sim_bench: {}: FAILED", what);
      return 0;
    }
    if (i >= kWarmup) samples[i - kWarmup] = t1 - t0;
  }
  uint64_t median = Median();
  Println("tdx_sim_bench: {}: median {} ns ({} runs)", what, median, kRuns);
  return median;
}

// SAFETY (both loads): `va` maps the I/O APIC's register page uncached
// (present, or not present and shared so that the access takes the #VE path);
// a 4-byte load of IOREGSEL has no effect on the device.
uint32_t Load32(Vaddr va) { return *reinterpret_cast<const volatile uint32_t*>(va); }

// Sends this CPU a reschedule IPI and takes it (when the guard drops):
// ICR write, delivery, handler, EOI.
bool SelfIpi() {
  IrqGuard irq;
  internal::LocalApic().SendIpi(internal::ThisCpu().apic_id, arch::kRescheduleVector);
  return true;
}

bool DmaCoherentOnce() {
  Result<dma::DmaCoherent> buf = dma::DmaCoherent::Alloc(1);
  return buf.has_value();
}

}  // namespace
}  // namespace ostd

void KernelMain(const ostd::BootInfo&) {
  using namespace ostd;
  // Natively first.
  Result<Vaddr> native = internal::MapMmio(kIoApic, mm::kPageSize);
  if (!native) return;
  Measure("MMIO read, native", [&] { return Load32(*native) != 0xdeadbeef; });
  Measure("DmaCoherent::Alloc(1) + drop, native", [] { return DmaCoherentOnce(); });
  Measure("self-IPI sent and taken, native (xAPIC)", [] { return SelfIpi(); });
  Result<mm::USegment> seg = mm::USegment::Alloc(1);
  if (!seg) return;
  {
    Result<dma::DmaStream> s = dma::DmaStream::Map(std::move(*seg), dma::DmaDirection::kToDevice);
    if (!s) return;
    Measure("DmaStream 4 KiB Sync(kToDevice), native",
            [&] { return s->Sync(dma::DmaDirection::kToDevice, 0, 4096).has_value(); });
  }

  // Then as a TD on the simulated module.
  Result<tdx::TdxSim*> sim = tdx::StartTdxSim();
  if (!sim) {
    Println("tdx_sim_bench: cannot start the simulator");
    return;
  }
  uint64_t mark = internal::SharedPteMark();
  // The same register through a mapping a TD's IoMem would make.
  Result<bool> host = internal::SimHostMapMmio(kIoApic, mm::kPageSize);
  Result<Vaddr> shared = internal::AllocKernelVirtual(mm::kPageSize);
  if (!host || !*host || !shared) return;
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    mm::PageFlags f{
        .writable = true, .uncached = true, .global = true, .device = true, .inaccessible = true};
    if (!internal::KernelPageTable().Map(*shared, kIoApic, mm::kPageSize, f)) return;
    if (!internal::KernelPageTable().SetLeafMark(*shared, *shared + mm::kPageSize, mark, true)) {
      return;
    }
  }
  uint64_t ves = tdx::VesHandled();
  Measure("MMIO read, TD (#PF -> #VE -> TDVMCALL)", [&] { return Load32(*shared) != 0xdeadbeef; });
  Println("tdx_sim_bench: {} #VEs for {} reads", tdx::VesHandled() - ves, kWarmup + kRuns);

  // QEMU's TCG TLB remembers a large page it once held, and an invlpg
  // inside it (the #VE runs above did some) then empties the whole TLB: the
  // linear map's large pages made every later access a refill, several
  // times slower. One full flush forgets them (TD or not, the same flush).
  mm::FlushLocalTlb(mm::TlbFlushOp::All());
  // A page of its own for each round trip, as a DMA buffer has.
  Measure("MapGPA round trip of 1 page (to shared, back, accept)", [] {
    Result<Paddr> page = mm::FrameAllocOptions().AllocContiguous(1);
    if (!page) return false;
    bool ok = internal::ConvertMemory(*page, mm::kPageSize, true).has_value() &&
              internal::ConvertMemory(*page, mm::kPageSize, false).has_value();
    mm::FreeFrames(*page, 1);
    return ok;
  });
  Measure("DmaCoherent::Alloc(1) + drop, TD", [] { return DmaCoherentOnce(); });
  Measure("self-IPI sent and taken, TD (x2APIC: ICR TDVMCALL, EOI)", [] { return SelfIpi(); });
  Result<mm::USegment> seg2 = mm::USegment::Alloc(1);
  if (!seg2) return;
  {
    Result<dma::DmaStream> s = dma::DmaStream::Map(std::move(*seg2), dma::DmaDirection::kToDevice);
    if (!s) return;
    Measure("DmaStream 4 KiB Sync(kToDevice), TD (bounce copy)",
            [&] { return s->Sync(dma::DmaDirection::kToDevice, 0, 4096).has_value(); });
  }
  Println("tdx_sim_bench: done");
}
