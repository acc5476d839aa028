#include "ostd/watchdog.h"

#include <array>
#include <atomic>
#include <cstdint>

#include "arch/x86_64/trap_frame.h"
#include "ostd/cpu_set.h"
#include "ostd/fmt.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/panic.h"
#include "ostd/internal/smp.h"
#include "ostd/log.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;

std::atomic<uint32_t> threshold_s{20};
std::atomic<uint64_t> soft_lockups{0};
std::atomic<uint64_t> hard_lockups{0};

// One CPU's watch. The plain fields belong to the CPU's own timer interrupt;
// the atomics are read (and hard_reported set) by the other CPUs' ticks.
struct CpuWatch {
  uint64_t progress_ns = 0;           // when the CPU last made progress
  const void* task = nullptr;         // the task it was running then
  bool soft_reported = false;         // this episode is reported
  std::atomic<uint64_t> tick_ns{0};   // its last timer interrupt (0: none yet)
  std::atomic<uint64_t> tick_rip{0};  // where that interrupt found it
  std::atomic<bool> hard_reported{false};
};
std::array<CpuWatch, kMaxCpus> watches;

void ReportSoft(uint32_t cpu, uint64_t stuck_ns, const arch::TrapFrame& frame) {
  soft_lockups.fetch_add(1, std::memory_order_relaxed);
  FormatSink& sink = log_internal::LockConsole();
  FormatTo(sink, "watchdog: BUG: soft lockup - CPU#{} stuck for {}s\n", cpu,
           stuck_ns / kNanosPerSecond);
  internal::PrintBacktrace(sink, frame.rip, frame.rbp);
  log_internal::UnlockConsole();
}

void ReportHard(uint32_t cpu, uint64_t silent_ns, uint64_t rip) {
  hard_lockups.fetch_add(1, std::memory_order_relaxed);
  FormatSink& sink = log_internal::LockConsole();
  FormatTo(sink, "watchdog: BUG: hard lockup - CPU#{} took no timer interrupt for {}s\n", cpu,
           silent_ns / kNanosPerSecond);
  FormatTo(sink, "its last timer interrupt found it at:\n");
  internal::PrintBacktrace(sink, rip, 0);
  log_internal::UnlockConsole();
}

}  // namespace

namespace watchdog {

void SetThresholdSeconds(uint32_t seconds) {
  threshold_s.store(seconds, std::memory_order_relaxed);
}
uint32_t ThresholdSeconds() { return threshold_s.load(std::memory_order_relaxed); }
uint64_t SoftLockups() { return soft_lockups.load(std::memory_order_relaxed); }
uint64_t HardLockups() { return hard_lockups.load(std::memory_order_relaxed); }

}  // namespace watchdog

namespace internal {

void WatchdogTick(const arch::TrapFrame& frame) {
  CpuLocal& cpu = ThisCpu();
  CpuWatch& w = watches[cpu.cpu_id];
  uint64_t now = timer::NowNanos();
  w.tick_rip.store(frame.rip, std::memory_order_relaxed);
  w.tick_ns.store(now, std::memory_order_release);
  w.hard_reported.store(false, std::memory_order_relaxed);  // it ticks again
  uint64_t limit = uint64_t{threshold_s.load(std::memory_order_relaxed)} * kNanosPerSecond;
  // Progress: user mode, the idle task, or another task than at the last
  // progress (the scheduler ran in between).
  const void* task = cpu.current_task;
  if (frame.from_user() || task == cpu.idle_task || task != w.task || w.progress_ns == 0) {
    w.progress_ns = now;
    w.task = task;
    w.soft_reported = false;
  } else if (limit != 0 && !w.soft_reported && now - w.progress_ns > limit) {
    w.soft_reported = true;
    ReportSoft(cpu.cpu_id, now - w.progress_ns, frame);
  }
  if (limit == 0) return;
  OnlineCpus().ForEach([&](uint32_t other) {
    if (other == cpu.cpu_id) return;
    CpuWatch& p = watches[other];
    uint64_t last = p.tick_ns.load(std::memory_order_acquire);
    if (last == 0 || now <= last || now - last <= limit) return;
    if (p.hard_reported.exchange(true, std::memory_order_relaxed)) return;
    ReportHard(other, now - last, p.tick_rip.load(std::memory_order_relaxed));
  });
}

}  // namespace internal
}  // namespace ostd
