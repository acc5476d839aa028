// ktests: IrqLine (vector allocation, handlers with context, unbinding
// against in-flight handlers on other CPUs) and DeferredWork. Interrupts are
// raised with fixed IPIs from the local APIC, on this CPU or another.
#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>

#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/interrupts.h"
#include "ostd/irq.h"
#include "ostd/smp/internal/smp_state.h"
#include "ostd/sync.h"
#include "ostd/task/deferred_work.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/trap.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace ostd {
namespace {

template <typename T>
Errno ErrorOf(const Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

void RaiseOn(uint32_t cpu, uint8_t vector) {
  IrqGuard guard;  // SendIpi wants interrupts off
  internal::LocalApic().SendIpi(smp::ApicIdOf(cpu), vector);
}

// Spins (interrupts on) until `cond` holds or about 2 s pass.
template <typename Cond>
bool WaitFor(Cond cond) {
  uint64_t deadline = timer::NowNanos() + 2'000'000'000;
  while (!cond()) {
    if (timer::NowNanos() > deadline) return false;
    Yield();
  }
  return true;
}

// A driver's state, shared with its handler through a RefPtr.
struct Device : RefCounted<Device> {
  std::atomic<int> hits{0};
  std::atomic<uint64_t> cpus{0};  // bit per CPU that ran the handler
  std::atomic<int>* destroyed = nullptr;
  ~Device() {
    if (destroyed != nullptr) destroyed->fetch_add(1);
  }
  void OnInterrupt() {
    hits.fetch_add(1);
    cpus.fetch_or(uint64_t{1} << cpu::CurrentId());
  }
};

TEST(IrqGuardTest, InterruptsEnabledFollowsNestedGuards) {
  ASSERT_TRUE(InterruptsEnabled());  // task context
  {
    IrqGuard outer;
    EXPECT_FALSE(InterruptsEnabled());
    {
      IrqGuard inner;
      EXPECT_FALSE(InterruptsEnabled());
    }
    EXPECT_FALSE(InterruptsEnabled());  // the inner guard found them off
  }
  EXPECT_TRUE(InterruptsEnabled());
}

TEST(IrqLineTest, AllocatesDistinctDeviceVectors) {
  Result<IrqLine> a = IrqLine::Alloc();
  Result<IrqLine> b = IrqLine::Alloc();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(a->vector(), b->vector());
  EXPECT_GE(a->vector(), IrqLine::kFirstVector);
  EXPECT_LE(a->vector(), IrqLine::kLastVector);
  EXPECT_FALSE(a->bound());
  EXPECT_EQ(a->Unbind().error(), Errno::kENOENT);
  // The vector is taken for RegisterIrqHandler too.
  EXPECT_EQ(RegisterIrqHandler(a->vector(), [](uint8_t) {}).error(), Errno::kEBUSY);
  IrqLine moved = std::move(*a);
  EXPECT_EQ(a->vector(), 0u);
  EXPECT_EQ(a->Bind([] {}).error(), Errno::kEINVAL);
  EXPECT_EQ(a->Unbind().error(), Errno::kENOENT);
}

TEST(IrqLineTest, RunsOutWithEnospcAndFreesOnDrop) {
  uint8_t first = 0;
  {
    Vec<IrqLine> all;
    for (;;) {
      Result<IrqLine> l = IrqLine::Alloc();
      if (!l) {
        EXPECT_EQ(l.error(), Errno::kENOSPC);
        break;
      }
      ASSERT_TRUE(all.Push(std::move(*l)).has_value());
      ASSERT_LE(all.size(), size_t{IrqLine::kLastVector - IrqLine::kFirstVector + 1});
    }
    ASSERT_GT(all.size(), 0u);
    first = all[0].vector();
  }
  Result<IrqLine> again = IrqLine::Alloc();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->vector(), first);
}

TEST(IrqLineTest, HandlerCarriesTheDriverContextOnEveryCpu) {
  std::atomic<int> destroyed{0};
  Result<RefPtr<Device>> dev = MakeRef<Device>();
  ASSERT_TRUE(dev.has_value());
  (*dev)->destroyed = &destroyed;
  Result<IrqLine> line = IrqLine::Alloc();
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(line->Bind([d = *dev] { d->OnInterrupt(); }).has_value());
  EXPECT_TRUE(line->bound());
  EXPECT_EQ(line->Bind([] {}).error(), Errno::kEBUSY);

  uint32_t n = cpu::Count();
  for (uint32_t c = 0; c < n; ++c) RaiseOn(c, line->vector());
  ASSERT_TRUE(WaitFor([&] { return (*dev)->hits.load() == static_cast<int>(n); }))
      << "hits " << (*dev)->hits.load() << " of " << n;
  EXPECT_EQ((*dev)->cpus.load(), (uint64_t{1} << n) - 1);

  // Unbind destroys the closure and its captured reference.
  RefPtr<Device> keep = *dev;
  dev = Err(Errno::kENOENT);
  ASSERT_TRUE(line->Unbind().has_value());
  EXPECT_FALSE(line->bound());
  EXPECT_EQ(destroyed.load(), 0);  // `keep` still holds it
  keep = RefPtr<Device>();
  EXPECT_EQ(destroyed.load(), 1);

  // Unbound: interrupts are counted as spurious, nothing runs.
  uint64_t spurious = line->spurious_count();
  RaiseOn(cpu::CurrentId(), line->vector());
  EXPECT_TRUE(WaitFor([&] { return line->spurious_count() == spurious + 1; }));
}

TEST(IrqLineTest, UnbindWaitsForAHandlerRunningOnAnotherCpu) {
  if (cpu::Count() < 2) KTEST_SKIP("needs two CPUs");
  struct Slow {
    std::atomic<bool> entered{false};
    std::atomic<bool> finished{false};
  };
  static Slow slow;
  slow.entered = false;
  slow.finished = false;
  std::atomic<int> destroyed{0};
  struct Probe {
    std::atomic<int>* destroyed;
    Probe(std::atomic<int>* d) : destroyed(d) {}
    Probe(Probe&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~Probe() {
      // The handler must have returned before its closure is destroyed.
      if (destroyed != nullptr) destroyed->fetch_add(slow.finished.load() ? 1 : 100);
    }
  };
  Result<IrqLine> line = IrqLine::Alloc();
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(line->Bind([p = Probe(&destroyed)] {
                    slow.entered = true;
                    timer::SpinDelayNanos(200'000'000);  // 200 ms in the handler
                    slow.finished = true;
                  })
                  .has_value());
  uint32_t other = cpu::CurrentId() == 0 ? 1 : 0;
  RaiseOn(other, line->vector());
  ASSERT_TRUE(WaitFor([&] { return slow.entered.load(); }));
  EXPECT_FALSE(slow.finished.load());
  ASSERT_TRUE(line->Unbind().has_value());
  EXPECT_TRUE(slow.finished.load());
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(IrqLineTest, UnbindFromItsOwnHandlerIsRefused) {
  Result<IrqLine> line = IrqLine::Alloc();
  ASSERT_TRUE(line.has_value());
  std::atomic<int> result{-1};
  IrqLine* self = &*line;
  ASSERT_TRUE(line->Bind([self, &result] {
                    Status s = self->Unbind();
                    result = s ? 0 : static_cast<int>(s.error());
                  })
                  .has_value());
  RaiseOn(cpu::CurrentId(), line->vector());
  ASSERT_TRUE(WaitFor([&] { return result.load() != -1; }));
  EXPECT_EQ(result.load(), static_cast<int>(Errno::kEDEADLK));
  EXPECT_TRUE(line->bound());
  EXPECT_TRUE(line->Unbind().has_value());
}

TEST(DeferredWorkTest, InterruptSchedulesWorkThatRunsInATask) {
  std::atomic<int> runs{0};
  std::atomic<bool> in_task{false};
  Result<DeferredWork> work = DeferredWork::Create(
      [&] {
        // Task context: our own task, not an interrupt handler, may block.
        in_task = std::string_view(CurrentTask()->name()) == "ktest-work";
        Yield();
        runs.fetch_add(1);
      },
      "ktest-work");
  ASSERT_TRUE(work.has_value());
  EXPECT_EQ(work->runs(), 0u);
  Result<IrqLine> line = IrqLine::Alloc();
  ASSERT_TRUE(line.has_value());
  DeferredWork* w = &*work;
  ASSERT_TRUE(line->Bind([w] { w->Schedule(); }).has_value());
  RaiseOn(cpu::CurrentId(), line->vector());
  ASSERT_TRUE(WaitFor([&] { return work->runs() >= 1; }));
  EXPECT_GE(runs.load(), 1);
  EXPECT_TRUE(in_task.load());
  // Several schedules before the task runs merge; none is lost.
  uint64_t before = work->runs();
  for (uint32_t c = 0; c < cpu::Count(); ++c) RaiseOn(c, line->vector());
  ASSERT_TRUE(WaitFor([&] { return work->runs() > before; }));
  ASSERT_TRUE(line->Unbind().has_value());
  DeferredWork moved = std::move(*work);
  work->Schedule();  // empty: nothing happens
  EXPECT_EQ(work->runs(), 0u);
}

TEST(DeferredWorkTest, DropStopsTheTask) {
  std::atomic<int> runs{0};
  {
    Result<DeferredWork> work = DeferredWork::Create([&] { runs.fetch_add(1); });
    ASSERT_TRUE(work.has_value());
    work->Schedule();
    ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  }  // joins the task
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace ostd
