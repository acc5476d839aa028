// ktests for ostd/smp: AP bring-up, cross-CPU calls, stopping CPUs and TLB
// shootdown. The image boots with 4 CPUs (keel_ktest smp = 4).
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/smp/internal/idle_work.h"
#include "ostd/smp/internal/tlb.h"
#include "ostd/sync.h"
#include "ostd/timer.h"

namespace ostd {
namespace {

using internal::CallOnCpus;
using internal::CpuLocalOf;
using mm::kPageSize;

constexpr uint32_t kCpus = 4;
constexpr uint64_t kMs = 1'000'000;

// Waits (interrupts on) until `cpu` finished its idle work; false on timeout.
// The timeout finds a deadlock, not slowness: on a loaded 2-CPU host one of
// these tests took 3 s natively (16 ms unloaded).
bool WaitIdleDone(uint32_t cpu, uint64_t timeout_ns = 30'000 * kMs) {
  uint64_t deadline = timer::NowNanos() + timeout_ns;
  while (!smp::IdleCpuDone(cpu)) {
    if (timer::NowNanos() > deadline) return false;
    arch::Pause();
  }
  return true;
}

TEST(SmpTest, AllCpusAreOnlineWithDistinctIds) {
  ASSERT_EQ(cpu::Count(), kCpus);
  EXPECT_EQ(internal::OnlineCpus(), CpuSet::FirstN(kCpus));
  EXPECT_EQ(cpu::CurrentId(), 0u);
  std::atomic<uint32_t> seen[kCpus] = {};
  CallOnCpus(
      CpuSet::FirstN(kCpus),
      [](void* arg) {
        // SAFETY: arg is `seen`, alive until CallOnCpus returns.
        auto* s = static_cast<std::atomic<uint32_t>*>(arg);
        s[cpu::CurrentId()].store(internal::ThisCpu().cpu_id + 100);
      },
      seen);
  for (uint32_t c = 1; c < kCpus; ++c) {
    EXPECT_EQ(seen[c].load(), c + 100);
    EXPECT_EQ(CpuLocalOf(c).cpu_id, c);
    for (uint32_t d = 0; d < c; ++d) {
      EXPECT_NE(CpuLocalOf(c).apic_id, CpuLocalOf(d).apic_id) << "CPUs " << c << " " << d;
    }
  }
}

TEST(SmpTest, EveryCpuTimerTicks) {
  uint64_t before[kCpus];
  for (uint32_t c = 0; c < kCpus; ++c) before[c] = CpuLocalOf(c).ticks.load();
  timer::SpinDelayNanos(60 * kMs);
  for (uint32_t c = 0; c < kCpus; ++c) {
    EXPECT_GT(CpuLocalOf(c).ticks.load(), before[c]) << "CPU " << c;
  }
}

std::atomic<uint32_t> runs[kCpus];
void CountRun(void*) { runs[cpu::CurrentId()].fetch_add(1); }

TEST(CallOnCpusTest, RunsOnceOnEachTargetAndNeverOnTheCaller) {
  for (auto& r : runs) r.store(0);
  CallOnCpus(CpuSet::FirstN(kCpus), &CountRun, nullptr);
  EXPECT_EQ(runs[0].load(), 0u);
  for (uint32_t c = 1; c < kCpus; ++c) EXPECT_EQ(runs[c].load(), 1u) << "CPU " << c;

  CpuSet one;
  one.Add(2);
  CallOnCpus(one, &CountRun, nullptr);
  EXPECT_EQ(runs[1].load(), 1u);
  EXPECT_EQ(runs[2].load(), 2u);
  EXPECT_EQ(runs[3].load(), 1u);

  CallOnCpus(CpuSet(), &CountRun, nullptr);  // no targets: nothing happens
  CpuSet self;
  self.Add(0);
  CallOnCpus(self, &CountRun, nullptr);
  EXPECT_EQ(runs[0].load(), 0u);
}

TEST(SerializeAllCpusTest, EveryOtherCpuTakesTheInterruptOnce) {
  uint64_t before[kCpus];
  for (uint32_t c = 0; c < kCpus; ++c) before[c] = internal::SerializedCount(c);
  cpu::SerializeAllCpus();
  uint32_t self = cpu::CurrentId();
  for (uint32_t c = 0; c < kCpus; ++c) {
    EXPECT_EQ(internal::SerializedCount(c) - before[c], c == self ? 0u : 1u) << "CPU " << c;
  }
}

struct PingPong {
  uint32_t peer;
  uint32_t rounds;
  std::atomic<uint32_t>* hits;  // hits[cpu]: calls that ran on cpu
};

void PingPeer(void* arg) {
  // SAFETY: the test keeps the PingPong alive until this CPU is done.
  auto* p = static_cast<PingPong*>(arg);
  CpuSet target;
  target.Add(p->peer);
  for (uint32_t i = 0; i < p->rounds; ++i) {
    // SAFETY (lambda): h is `hits`, alive until every call returned.
    CallOnCpus(
        target, [](void* h) { static_cast<std::atomic<uint32_t>*>(h)[cpu::CurrentId()]++; },
        p->hits);
  }
}

TEST(CallOnCpusTest, CpusCallingEachOtherConcurrentlyComplete) {
  constexpr uint32_t kRounds = 300;
  std::atomic<uint32_t> hits[kCpus] = {};
  PingPong a{2, kRounds, hits};
  PingPong b{1, kRounds, hits};
  PingPong c{1, kRounds, hits};  // run by the boot CPU, also at CPU 1
  ASSERT_TRUE(smp::RunOnIdleCpu(1, &PingPeer, &a));
  ASSERT_TRUE(smp::RunOnIdleCpu(2, &PingPeer, &b));
  PingPeer(&c);
  ASSERT_TRUE(WaitIdleDone(1));
  ASSERT_TRUE(WaitIdleDone(2));
  EXPECT_EQ(hits[1].load(), 2 * kRounds);
  EXPECT_EQ(hits[2].load(), kRounds);
  EXPECT_EQ(hits[0].load(), 0u);
}

void PingPeerIrqsOff(void* arg) {
  IrqGuard irq_off;
  PingPeer(arg);
}

TEST(CallOnCpusTest, CallersWithInterruptsOffCallingEachOtherComplete) {
  constexpr uint32_t kRounds = 200;
  std::atomic<uint32_t> hits[kCpus] = {};
  PingPong a{2, kRounds, hits};
  PingPong b{1, kRounds, hits};
  ASSERT_TRUE(smp::RunOnIdleCpu(1, &PingPeerIrqsOff, &a));
  ASSERT_TRUE(smp::RunOnIdleCpu(2, &PingPeerIrqsOff, &b));
  ASSERT_TRUE(WaitIdleDone(1));
  ASSERT_TRUE(WaitIdleDone(2));
  EXPECT_EQ(hits[1].load(), kRounds);
  EXPECT_EQ(hits[2].load(), kRounds);
}

struct LockWaiter {
  SpinLock* lock;
  std::atomic<bool> spinning{false};
  std::atomic<bool> acquired{false};
};

void TakeLock(void* arg) {
  // SAFETY: the test keeps the LockWaiter alive until `acquired` is set.
  auto* w = static_cast<LockWaiter*>(arg);
  w->spinning.store(true);
  w->lock->Lock();  // spins with interrupts off until the boot CPU releases it
  w->lock->Unlock();
  w->acquired.store(true);
}

TEST(CallOnCpusTest, CpuSpinningOnALockStillServesCalls) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  SpinLock lock;
  LockWaiter w{&lock};
  std::atomic<uint32_t> hits[kCpus] = {};
  lock.Lock();
  ASSERT_TRUE(smp::RunOnIdleCpu(1, &TakeLock, &w));
  while (!w.spinning.load()) arch::Pause();
  timer::SpinDelayNanos(1'000'000);  // let it reach the spin loop
  // The lock holder calls the spinning CPU (as a TLB shootdown under a lock
  // does): without serving calls while spinning, this never returns.
  CpuSet target;
  target.Add(1);
  CallOnCpus(
      target, [](void* h) { static_cast<std::atomic<uint32_t>*>(h)[cpu::CurrentId()]++; }, hits);
  EXPECT_EQ(hits[1].load(), 1u);
  EXPECT_FALSE(w.acquired.load());
  lock.Unlock();
  ASSERT_TRUE(WaitIdleDone(1));
  EXPECT_TRUE(w.acquired.load());
}

struct Spinner {
  std::atomic<uint64_t> count[kCpus];
  std::atomic<bool> stop;
};

void Spin(void* arg) {
  // SAFETY: the test keeps the Spinner alive until every spinner is done.
  auto* s = static_cast<Spinner*>(arg);
  uint32_t self = cpu::CurrentId();
  while (!s->stop.load()) s->count[self].fetch_add(1);
}

TEST(StopOtherCpusTest, ParksOthersUntilReleased) {
  Spinner s{};
  for (uint32_t c = 1; c < kCpus; ++c) ASSERT_TRUE(smp::RunOnIdleCpu(c, &Spin, &s));
  timer::SpinDelayNanos(10 * kMs);
  uint64_t parked_count[kCpus];
  uint64_t parked_ticks[kCpus];
  {
    internal::StopOtherCpusGuard stop;
    for (uint32_t c = 1; c < kCpus; ++c) {
      parked_count[c] = s.count[c].load();
      parked_ticks[c] = CpuLocalOf(c).ticks.load();
    }
    timer::SpinDelayNanos(40 * kMs);
    for (uint32_t c = 1; c < kCpus; ++c) {
      EXPECT_GT(parked_count[c], 0u) << "CPU " << c << " never ran";
      EXPECT_EQ(s.count[c].load(), parked_count[c]) << "CPU " << c << " ran while stopped";
      EXPECT_EQ(CpuLocalOf(c).ticks.load(), parked_ticks[c]) << "CPU " << c;
    }
  }
  timer::SpinDelayNanos(40 * kMs);
  for (uint32_t c = 1; c < kCpus; ++c) {
    EXPECT_GT(s.count[c].load(), parked_count[c]) << "CPU " << c << " did not resume";
    EXPECT_GT(CpuLocalOf(c).ticks.load(), parked_ticks[c]) << "CPU " << c;
  }
  s.stop.store(true);
  for (uint32_t c = 1; c < kCpus; ++c) EXPECT_TRUE(WaitIdleDone(c));
  // A second stop right after works too.
  {
    internal::StopOtherCpusGuard stop;
  }
}

// A kernel page whose frame the tests swap under the other CPUs' TLBs.
class TlbShootdownTest : public ktest::Test {
 protected:
  void SetUp() override {
    Result<Vaddr> va = internal::AllocKernelVirtual(kPageSize);
    ASSERT_TRUE(va.has_value());
    va_ = *va;
    for (int i = 0; i < 2; ++i) {
      Result<Paddr> f = mm::FrameAllocOptions().AllocOne();
      ASSERT_TRUE(f.has_value());
      frames_[i] = *f;
      FrameWord(*f) = 0xa000 + i;
    }
  }
  void TearDown() override {
    {
      SpinLockGuard guard(internal::KernelPageTableLock());
      static_cast<void>(internal::KernelPageTable().Unmap(va_));
    }
    mm::TlbFlusher(internal::OnlineCpus()).Issue(mm::TlbFlushOp::Page(va_));
    internal::FreeKernelVirtual(va_, kPageSize);
    for (Paddr f : frames_) {
      if (f != 0) mm::FreeFrames(f);
    }
  }

  // SAFETY (helpers): frames the test owns, through the linear map, and the
  // test's own kernel page (mapped while the helpers run).
  static volatile uint64_t& FrameWord(Paddr p) {
    return *reinterpret_cast<volatile uint64_t*>(internal::PhysToVirt(p));
  }
  static uint64_t Read(Vaddr va) { return *reinterpret_cast<volatile uint64_t*>(va); }

  void Map(Paddr frame) {
    SpinLockGuard guard(internal::KernelPageTableLock());
    static_cast<void>(internal::KernelPageTable().Unmap(va_));
    // Global, like every kernel mapping: only invlpg or a full flush drops it.
    ASSERT_TRUE(internal::KernelPageTable()
                    .Map(va_, frame, kPageSize, mm::PageFlags{.writable = true, .global = true})
                    .has_value());
  }

  struct ReadAll {
    Vaddr va;
    std::atomic<uint64_t> value[kCpus];
  };
  // Every CPU (this one included) reads the page; returns what each saw.
  void ReadEverywhere(ReadAll& r) {
    r.va = va_;
    auto read = [](void* arg) {
      // SAFETY: arg is the caller's ReadAll, alive until CallOnCpus returns.
      auto* ra = static_cast<ReadAll*>(arg);
      ra->value[cpu::CurrentId()].store(Read(ra->va));
    };
    read(&r);
    CallOnCpus(CpuSet::FirstN(kCpus), read, &r);
  }

  void SwapAndCheck(mm::TlbFlushOp op) {
    Map(frames_[0]);
    internal::FlushTlbPage(va_);
    ReadAll before{};
    ReadEverywhere(before);  // every CPU caches va -> frame A
    for (uint32_t c = 0; c < kCpus; ++c) ASSERT_EQ(before.value[c].load(), 0xa000u) << c;
    Map(frames_[1]);
    mm::TlbFlusher flusher(CpuSet::FirstN(kCpus));
    flusher.Issue(op);
    flusher.Dispatch();
    ReadAll after{};
    ReadEverywhere(after);
    for (uint32_t c = 0; c < kCpus; ++c) {
      EXPECT_EQ(after.value[c].load(), 0xa001u) << "CPU " << c << " kept a stale translation";
    }
  }

  Vaddr va_ = 0;
  Paddr frames_[2] = {};
};

TEST_F(TlbShootdownTest, PageFlushReachesEveryCpu) { SwapAndCheck(mm::TlbFlushOp::Page(va_)); }

TEST_F(TlbShootdownTest, RangeFlushReachesEveryCpu) {
  SwapAndCheck(mm::TlbFlushOp::Range(va_ - 3 * kPageSize, va_ + 2 * kPageSize));
}

TEST_F(TlbShootdownTest, FullFlushReachesEveryCpu) { SwapAndCheck(mm::TlbFlushOp::All()); }

struct Blocker {
  Paddr frame;
  std::atomic<bool> blocking{false};
  std::atomic<mm::FrameUsage> usage_before_ack{mm::FrameUsage::kFree};
};

// Holds off this CPU's acknowledgement for a while, then records whether the
// deferred frame is still allocated just before acknowledging.
void DelayAck(void* arg) {
  // SAFETY: the test keeps the Blocker alive until this CPU is done; this CPU
  // holds no lock while its interrupts are off, it only delays its ack.
  auto* b = static_cast<Blocker*>(arg);
  arch::DisableInterrupts();
  b->blocking.store(true);
  timer::SpinDelayNanos(80 * kMs);
  b->usage_before_ack.store(mm::GetFrameUsage(b->frame));
  arch::EnableInterrupts();  // the pending flush IPI runs and acknowledges now
}

TEST_F(TlbShootdownTest, DeferredFramesAreFreedOnlyAfterEveryCpuFlushed) {
  Result<Paddr> victim = mm::FrameAllocOptions().AllocOne();
  ASSERT_TRUE(victim.has_value());
  Map(*victim);
  ReadAll cached{};
  ReadEverywhere(cached);
  {
    SpinLockGuard guard(internal::KernelPageTableLock());
    ASSERT_TRUE(internal::KernelPageTable().Unmap(va_).has_value());
  }
  Blocker b;
  b.frame = *victim;
  ASSERT_TRUE(smp::RunOnIdleCpu(3, &DelayAck, &b));
  while (!b.blocking.load()) arch::Pause();

  uint64_t free_before = mm::GetFrameStats().free_frames;
  mm::TlbFlusher flusher(CpuSet::FirstN(kCpus));
  flusher.Issue(mm::TlbFlushOp::Page(va_));
  flusher.DeferFree(*victim, 1);
  EXPECT_FALSE(flusher.empty());
  EXPECT_EQ(mm::GetFrameUsage(*victim), mm::FrameUsage::kUntyped) << "freed before Dispatch";
  EXPECT_EQ(mm::GetFrameStats().free_frames, free_before);
  flusher.Dispatch();
  EXPECT_TRUE(flusher.empty());
  ASSERT_TRUE(WaitIdleDone(3));
  EXPECT_EQ(b.usage_before_ack.load(), mm::FrameUsage::kUntyped)
      << "the frame was freed before CPU 3 acknowledged";
  EXPECT_EQ(mm::GetFrameUsage(*victim), mm::FrameUsage::kFree);
  EXPECT_EQ(mm::GetFrameStats().free_frames, free_before + 1);
}

}  // namespace
}  // namespace ostd
