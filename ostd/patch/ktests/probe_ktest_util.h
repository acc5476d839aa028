// Helpers shared by the probe ktests (probe_ktest.cc, return_probe_ktest.cc).
#ifndef OSTD_PATCH_KTESTS_PROBE_KTEST_UTIL_H_
#define OSTD_PATCH_KTESTS_PROBE_KTEST_UTIL_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "ktest/ktest.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/smp.h"
#include "ostd/patch/probe.h"
#include "ostd/task/task.h"
#include "ostd/util/ref_ptr.h"

namespace ostd::patch {

// Records what it saw.
class Recorder : public ProbeHandler {
 public:
  void OnHit(const ProbeRegs& regs) override {
    hits.fetch_add(1, std::memory_order_relaxed);
    last_rdi = regs.rdi;
    last_rip = regs.rip;
    last_rsp = regs.rsp;
    last_rflags = regs.rflags;
    last_orig_rax = regs.orig_rax;
    last_cs = regs.cs;
    last_ss = regs.ss;
    if (nested != nullptr) nested_result = nested(41);
  }
  void AfterStep(const ProbeRegs& regs) override {
    after.fetch_add(1, std::memory_order_relaxed);
    after_rip = regs.rip;
    after_rsp = regs.rsp;
  }
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> after{0};
  uint64_t last_rdi = 0, last_rip = 0, last_rsp = 0, last_rflags = 0, after_rip = 0, after_rsp = 0;
  uint64_t last_orig_rax = 0, last_cs = 0, last_ss = 0;
  uint64_t (*nested)(uint64_t) = nullptr;
  uint64_t nested_result = 0;
};

// A new Recorder (panics without memory: tests only).
inline RefPtr<Recorder> NewRecorder() {
  Result<RefPtr<Recorder>> r = MakeRef<Recorder>();
  OSTD_ASSERT(r.has_value());
  return *r;
}

// One task per online CPU (pinned), each running `body`.
template <typename Body>
void OnEveryCpu(Body body) {
  std::array<TaskRef, kMaxCpus> tasks;
  CpuSet online = internal::OnlineCpus();
  for (uint32_t c = 0; c < kMaxCpus; ++c) {
    if (!online.Contains(c)) continue;
    CpuSet one;
    one.Add(c);
    Result<TaskRef> t = Spawn(body, TaskOptions().name("probe-smp").affinity(one));
    ASSERT_TRUE(t.has_value());
    tasks[c] = std::move(*t);
  }
  for (TaskRef& t : tasks) {
    if (t) t->Join();
  }
}

}  // namespace ostd::patch

#endif  // OSTD_PATCH_KTESTS_PROBE_KTEST_UTIL_H_
