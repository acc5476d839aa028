// TLB shootdown latency benchmark: the boot CPU flushes one kernel page on
// 1 and on 3 other CPUs many times and prints the median round trip (issue,
// IPI, remote invlpg, acknowledgement) measured with timer::NowNanos.
// Boot with 4 CPUs: bazel run //ostd/smp:tlb_bench_run
#include "ostd/cpu.h"
#include "ostd/entry.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/smp/internal/tlb.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

constexpr size_t kRuns = 501;
constexpr size_t kWarmup = 20;

uint64_t samples[kRuns];

uint64_t Median(uint64_t* v, size_t n) {
  for (size_t i = 1; i < n; ++i) {  // insertion sort: n is small
    uint64_t x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
  return v[n / 2];
}

void Measure(const char* what, CpuSet targets, mm::TlbFlushOp op) {
  for (size_t i = 0; i < kWarmup + kRuns; ++i) {
    uint64_t t0 = timer::NowNanos();
    mm::TlbFlusher flusher(targets);
    flusher.Issue(op);
    flusher.Dispatch();
    uint64_t t1 = timer::NowNanos();
    if (i >= kWarmup) samples[i - kWarmup] = t1 - t0;
  }
  uint64_t min = ~uint64_t{0};
  for (uint64_t s : samples) min = s < min ? s : min;
  uint64_t median = Median(samples, kRuns);
  Println("tlb_bench: {} -> {} remote CPU(s): median {} ns, min {} ns ({} runs)", what,
          targets.count(), median, min, kRuns);
}

}  // namespace
}  // namespace ostd

void KernelMain(const ostd::BootInfo&) {
  using namespace ostd;
  Println("tlb_bench: {} CPUs online", cpu::Count());
  if (cpu::Count() < 4) {
    Println("tlb_bench: needs 4 CPUs (boot with --smp 4)");
    return;
  }
  Result<Vaddr> va = internal::AllocKernelVirtual(mm::kPageSize);
  Result<Paddr> frame = mm::FrameAllocOptions().AllocOne();
  if (!va || !frame) return;
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    if (!internal::KernelPageTable().Map(*va, *frame, mm::kPageSize,
                                         mm::PageFlags{.writable = true, .global = true})) {
      return;
    }
  }
  CpuSet one = CpuSet::FromBits(0b0010);
  CpuSet three = CpuSet::FromBits(0b1110);
  Measure("page", one, mm::TlbFlushOp::Page(*va));
  Measure("page", three, mm::TlbFlushOp::Page(*va));
  Measure("full", one, mm::TlbFlushOp::All());
  Measure("full", three, mm::TlbFlushOp::All());
  Println("tlb_bench: done");
}
