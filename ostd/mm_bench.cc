// Benchmark (not a test): frame and heap allocation costs, printed as the
// median over many runs. Run with `bazel run //ostd:mm_bench_run`.
#include <new>

#include "ostd/entry.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/timer.h"

namespace {

constexpr int kSamples = 101;
constexpr int kOpsPerSample = 200;

template <typename Fn>
uint64_t MedianNanosPerOp(Fn fn) {
  uint64_t samples[kSamples];
  for (int s = 0; s < kSamples; ++s) {
    uint64_t t0 = ostd::timer::NowNanos();
    for (int i = 0; i < kOpsPerSample; ++i) fn();
    samples[s] = (ostd::timer::NowNanos() - t0) / kOpsPerSample;
  }
  // Insertion sort: kSamples is small.
  for (int i = 1; i < kSamples; ++i) {
    for (int j = i; j > 0 && samples[j - 1] > samples[j]; --j) {
      uint64_t t = samples[j];
      samples[j] = samples[j - 1];
      samples[j - 1] = t;
    }
  }
  return samples[kSamples / 2];
}

}  // namespace

void KernelMain(const ostd::BootInfo&) {
  uint64_t raw = MedianNanosPerOp([] {
    ostd::Result<ostd::Paddr> f = ostd::mm::FrameAllocOptions().zeroed(false).AllocOne();
    if (f) ostd::mm::FreeFrames(*f);
  });
  uint64_t zeroed = MedianNanosPerOp([] {
    ostd::Result<ostd::Paddr> f = ostd::mm::FrameAllocOptions().AllocOne();
    if (f) ostd::mm::FreeFrames(*f);
  });
  // 64 distinct frames zeroed in turn, as a page-fault loop touches them,
  // then all freed: zeroing memory the CPU has not just written.
  uint64_t zeroed_run = MedianNanosPerOp([] {
                          ostd::Paddr frames[64];
                          int n = 0;
                          for (; n < 64; ++n) {
                            ostd::Result<ostd::Paddr> f = ostd::mm::FrameAllocOptions().AllocOne();
                            if (!f) break;
                            frames[n] = *f;
                          }
                          for (int i = 0; i < n; ++i) ostd::mm::FreeFrames(frames[i]);
                        }) /
                        64;
  uint64_t uframe = MedianNanosPerOp([] { static_cast<void>(ostd::mm::UFrame::Alloc(false)); });
  uint64_t heap64 = MedianNanosPerOp([] { delete[] new (std::nothrow) uint8_t[64]; });
  uint64_t heap16k = MedianNanosPerOp([] { delete[] new (std::nothrow) uint8_t[16384]; });
  ostd::Println("mm_bench: frame alloc+free (not zeroed)   {} ns", raw);
  ostd::Println("mm_bench: frame alloc+free (zeroed)       {} ns", zeroed);
  ostd::Println("mm_bench: 64 zeroed frames, then free, per frame {} ns", zeroed_run);
  ostd::Println("mm_bench: UFrame::Alloc + drop            {} ns", uframe);
  ostd::Println("mm_bench: heap new+delete 64 B            {} ns", heap64);
  ostd::Println("mm_bench: heap new+delete 16 KiB          {} ns", heap16k);
}
