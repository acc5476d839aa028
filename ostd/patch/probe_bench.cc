// Probe hit cost benchmark: calls a small kernel function in batches with no
// probe, with a Breakpoint at its entry (empty OnHit/AfterStep), with a
// ReturnProbe (entry and return hooked), and with both, and prints the
// median time per call and the difference with the unprobed call (the cost
// of one hit), for a function whose entry probe traps and for one with a
// patchable entry (a call). One CPU. Run: bazel run //ostd/patch:probe_bench_run
#include <atomic>
#include <cstdint>
#include <optional>

#include "ostd/entry.h"
#include "ostd/log.h"
#include "ostd/patch/probe.h"
#include "ostd/timer.h"
#include "ostd/util/ref_ptr.h"

namespace ostd::patch::bench {

std::atomic<uint64_t> sink{0};

[[gnu::noinline]] uint64_t BenchTarget(uint64_t x) {
  sink.fetch_add(x, std::memory_order_relaxed);
  return x + 1;
}

// The same with a patchable entry (probe.h): entry probes are a call, not a
// trap, as on the kernel's syscall adapters.
[[gnu::noinline, gnu::patchable_function_entry(5)]] uint64_t BenchTargetFentry(uint64_t x) {
  sink.fetch_add(x, std::memory_order_relaxed);
  return x + 1;
}

namespace {

constexpr uint64_t kCalls = 2000;  // per batch
constexpr size_t kBatches = 31;
struct Target {
  const char* label;
  const char* symbol;
  uint64_t (*fn)(uint64_t);
};
constexpr Target kTargets[] = {
    {"trap", "ostd::patch::bench::BenchTarget(unsigned long)", BenchTarget},
    {"fentry", "ostd::patch::bench::BenchTargetFentry(unsigned long)", BenchTargetFentry},
};

class Empty : public ProbeHandler {};

class EmptyReturn : public ReturnProbeHandler {
 public:
  std::optional<uint64_t> OnEntry(const ProbeRegs&) override { return 0; }
  void OnReturn(const ProbeRegs&, uint64_t) override {}
};

uint64_t batches[kBatches];

// Median ns per call over kBatches batches of kCalls calls.
uint64_t NsPerCall(const Target& t) {
  for (size_t b = 0; b < kBatches; ++b) {
    uint64_t t0 = timer::NowNanos();
    for (uint64_t i = 0; i < kCalls; ++i) t.fn(i);
    batches[b] = (timer::NowNanos() - t0) / kCalls;
  }
  for (size_t i = 1; i < kBatches; ++i) {
    uint64_t x = batches[i];
    size_t j = i;
    for (; j > 0 && batches[j - 1] > x; --j) batches[j] = batches[j - 1];
    batches[j] = x;
  }
  return batches[kBatches / 2];
}

void Report(const Target& t, const char* what, uint64_t ns, uint64_t base) {
  Println("probe_bench: {} {}: {} ns/call, hit cost {} ns", t.label, what, ns,
          ns > base ? ns - base : 0);
}

}  // namespace
}  // namespace ostd::patch::bench

void KernelMain(const ostd::BootInfo&) {
  using namespace ostd;
  using namespace ostd::patch;
  using namespace ostd::patch::bench;
  Result<RefPtr<Empty>> h = MakeRef<Empty>();
  Result<RefPtr<EmptyReturn>> rh = MakeRef<EmptyReturn>();
  if (!h || !rh) return;
  for (const Target& t : kTargets) {
    uint64_t base = NsPerCall(t);
    Println("probe_bench: {} no probe: {} ns/call", t.label, base);
    {
      Result<Breakpoint> bp = Breakpoint::AtSymbol(t.symbol, 0, *h);
      if (!bp) {
        Println("probe_bench: Breakpoint failed: {}", bp.error());
        return;
      }
      Report(t, "kprobe (entry)", NsPerCall(t), base);
    }
    {
      Result<ReturnProbe> rp = ReturnProbe::AtSymbol(t.symbol, *rh);
      if (!rp) {
        Println("probe_bench: ReturnProbe failed: {}", rp.error());
        return;
      }
      Report(t, "kretprobe (entry + return)", NsPerCall(t), base);
      Result<Breakpoint> bp = Breakpoint::AtSymbol(t.symbol, 0, *h);
      if (bp) Report(t, "kprobe + kretprobe", NsPerCall(t), base);
    }
    Println("probe_bench: {} after removal: {} ns/call", t.label, NsPerCall(t));
  }
  Println("probe_bench: done");
}
