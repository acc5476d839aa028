// ktests: kretprobes through the kernel API (gate-checked kernel code): the
// return value, nested (recursive) calls, maxactive exhaustion counted in
// nmissed, unregistration while a call is still inside the function, a
// kprobe and a kretprobe sharing an address, errors as register_kretprobe.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/kprobes/kprobes.h"
#include "kernel/kprobes/kretprobe.h"
#include "ktest/ktest.h"
#include "ostd/ksyms.h"
#include "ostd/task/task.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::kretprobe_test {

std::atomic<uint64_t> side{0};
std::atomic<bool> blocking_entered{false};
std::atomic<bool> blocking_release{false};

// Probe targets, found by their (demangled) names.
[[gnu::noinline]] uint64_t KretTarget(uint64_t x) {
  side.fetch_add(1, std::memory_order_relaxed);
  return x * 7 + 3;
}

// Not tail-recursive (the atomic after the call), so each level is a call.
[[gnu::noinline]] uint64_t KretRecurse(uint64_t n) {
  if (n == 0) return 1;
  uint64_t r = KretRecurse(n - 1);
  side.fetch_add(1, std::memory_order_relaxed);
  return r + n;
}

[[gnu::noinline]] uint64_t KretBlocking(uint64_t x) {
  blocking_entered.store(true, std::memory_order_release);
  while (!blocking_release.load(std::memory_order_acquire)) ostd::Yield();
  side.fetch_add(1, std::memory_order_relaxed);
  return x * 2;
}

constexpr std::string_view kTarget = "kernel::kretprobe_test::KretTarget(unsigned long)";
constexpr std::string_view kRecurse = "kernel::kretprobe_test::KretRecurse(unsigned long)";
constexpr std::string_view kBlocking = "kernel::kretprobe_test::KretBlocking(unsigned long)";

namespace {

using kprobes::Kretprobe;
using kprobes::KretprobeInstance;
using kprobes::ProbeSite;
using kprobes::Regs;

std::atomic<uint64_t> destroyed{0};

// Records entries (rdi) and returns (rax, the rdi saved at entry, ret_addr)
// in order.
class Recording : public Kretprobe {
 public:
  explicit Recording(uint32_t maxactive = 0) : Kretprobe(maxactive) {}
  ~Recording() override { destroyed.fetch_add(1, std::memory_order_relaxed); }
  bool EntryHandler(KretprobeInstance& ri, const Regs& regs) override {
    ri.data[0] = regs.rdi;
    uint64_t i = entries.fetch_add(1, std::memory_order_relaxed);
    if (i < entry_arg.size()) entry_arg[i] = regs.rdi;
    return true;
  }
  void ReturnHandler(KretprobeInstance& ri, const Regs& regs) override {
    uint64_t i = returns.fetch_add(1, std::memory_order_relaxed);
    if (i < ret_value.size()) {
      ret_value[i] = regs.rax;
      ret_arg[i] = ri.data[0];
      ret_addr[i] = ri.ret_addr;
      ret_rip[i] = regs.rip;
    }
  }
  std::atomic<uint64_t> entries{0};
  std::atomic<uint64_t> returns{0};
  std::array<uint64_t, 8> entry_arg{};
  std::array<uint64_t, 8> ret_value{};
  std::array<uint64_t, 8> ret_arg{};
  std::array<uint64_t, 8> ret_addr{};
  std::array<uint64_t, 8> ret_rip{};
};

ostd::RefPtr<Recording> NewRecording(uint32_t maxactive = 0) {
  ostd::Result<ostd::RefPtr<Recording>> rp = ostd::MakeRef<Recording>(maxactive);
  EXPECT_TRUE(rp.has_value());
  return rp ? *rp : ostd::RefPtr<Recording>();
}

ostd::Errno ErrorOf(const ostd::Status& s) {
  EXPECT_FALSE(s.has_value());
  return s.has_value() ? ostd::Errno{} : s.error();
}

TEST(Kretprobes, ReturnHandlerSeesTheReturnValue) {
  ostd::RefPtr<Recording> rp = NewRecording();
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_TRUE(rp->registered());
  EXPECT_TRUE(rp->enabled());
  EXPECT_EQ(rp->maxactive(), 10u);  // max(10, 2 * 4 CPUs)
  EXPECT_EQ(KretTarget(5), 38u);
  EXPECT_EQ(KretTarget(6), 45u);
  EXPECT_EQ(rp->entries.load(), 2u);
  ASSERT_EQ(rp->returns.load(), 2u);
  EXPECT_EQ(rp->ret_value[0], 38u);
  EXPECT_EQ(rp->ret_arg[0], 5u);
  EXPECT_EQ(rp->ret_value[1], 45u);
  EXPECT_EQ(rp->ret_arg[1], 6u);
  // The real return address: inside this test, not the trampoline.
  std::optional<ostd::Symbol> caller = ostd::KernelSymbols().Lookup(rp->ret_addr[0]);
  ASSERT_TRUE(caller.has_value());
  EXPECT_NE(caller->name.find("ReturnHandlerSeesTheReturnValue"), std::string_view::npos);
  EXPECT_EQ(rp->ret_rip[0], rp->ret_addr[0]);
  EXPECT_EQ(rp->nhit(), 2u);
  EXPECT_EQ(rp->nmissed(), 0u);
  EXPECT_EQ(rp->outstanding(), 0u);
  // Disabled: no entry, no return.
  ASSERT_TRUE(kprobes::DisableKretprobe(rp).has_value());
  EXPECT_EQ(KretTarget(1), 10u);
  EXPECT_EQ(rp->returns.load(), 2u);
  ASSERT_TRUE(kprobes::EnableKretprobe(rp).has_value());
  EXPECT_EQ(KretTarget(1), 10u);
  EXPECT_EQ(rp->returns.load(), 3u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
  EXPECT_FALSE(rp->registered());
  EXPECT_EQ(KretTarget(1), 10u);
  EXPECT_EQ(rp->returns.load(), 3u);
}

TEST(Kretprobes, RecursiveCallsNestLifo) {
  ostd::RefPtr<Recording> rp = NewRecording();
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kRecurse}).has_value());
  // KretRecurse(4) = 1 + 1 + 2 + 3 + 4.
  EXPECT_EQ(KretRecurse(4), 11u);
  ASSERT_EQ(rp->entries.load(), 5u);
  ASSERT_EQ(rp->returns.load(), 5u);
  constexpr std::array<uint64_t, 5> kValues{1, 2, 4, 7, 11};  // innermost first
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(rp->entry_arg[i], 4 - i);
    EXPECT_EQ(rp->ret_arg[i], i);
    EXPECT_EQ(rp->ret_value[i], kValues[i]);
  }
  // The inner returns go back into KretRecurse, the outermost to the test.
  std::optional<ostd::Symbol> inner = ostd::KernelSymbols().Lookup(rp->ret_addr[0]);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->name, kRecurse);
  std::optional<ostd::Symbol> outer = ostd::KernelSymbols().Lookup(rp->ret_addr[4]);
  ASSERT_TRUE(outer.has_value());
  EXPECT_NE(outer->name, kRecurse);
  EXPECT_EQ(rp->nmissed(), 0u);
  EXPECT_EQ(rp->outstanding(), 0u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
}

TEST(Kretprobes, MaxactiveExhaustionCountsMissed) {
  ostd::RefPtr<Recording> rp = NewRecording(2);
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kRecurse}).has_value());
  EXPECT_EQ(rp->maxactive(), 2u);
  EXPECT_EQ(KretRecurse(4), 11u);
  // The two outer calls got the instances; the three inner ones were missed.
  EXPECT_EQ(rp->entries.load(), 2u);
  ASSERT_EQ(rp->returns.load(), 2u);
  EXPECT_EQ(rp->ret_arg[0], 3u);
  EXPECT_EQ(rp->ret_value[0], 7u);
  EXPECT_EQ(rp->ret_arg[1], 4u);
  EXPECT_EQ(rp->ret_value[1], 11u);
  EXPECT_EQ(rp->nhit(), 5u);
  EXPECT_EQ(rp->nmissed(), 3u);
  // Instances came back: the next call is reported again.
  EXPECT_EQ(KretRecurse(0), 1u);
  EXPECT_EQ(rp->returns.load(), 3u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
  EXPECT_EQ(rp->nmissed(), 3u);  // kept after unregistration
}

TEST(Kretprobes, UnregisterWithACallOutstanding) {
  uint64_t destroyed_before = destroyed.load();
  ostd::RefPtr<Recording> rp = NewRecording();
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kBlocking}).has_value());
  blocking_entered.store(false);
  blocking_release.store(false);
  std::atomic<uint64_t> result{0};
  ostd::TaskGroup group;  // joined before `result` goes
  ostd::Result<ostd::TaskRef> task =
      group.Spawn([&result] { result.store(KretBlocking(21), std::memory_order_release); });
  ASSERT_TRUE(task.has_value());
  while (!blocking_entered.load(std::memory_order_acquire)) ostd::Yield();
  EXPECT_EQ(rp->entries.load(), 1u);
  EXPECT_EQ(rp->outstanding(), 1u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
  EXPECT_EQ(rp->outstanding(), 0u);
  // Drop the last reference too: the handler object goes while the call
  // still has the trampoline as its return address.
  rp = ostd::RefPtr<Recording>();
  EXPECT_EQ(destroyed.load(), destroyed_before + 1);
  blocking_release.store(true, std::memory_order_release);
  group.Join();
  EXPECT_EQ(result.load(std::memory_order_acquire), 42u);
  // The same function can be probed again and reports normally.
  ostd::RefPtr<Recording> again = NewRecording();
  ASSERT_TRUE(kprobes::RegisterKretprobe(again, ProbeSite{.symbol = kBlocking}).has_value());
  EXPECT_EQ(KretBlocking(5), 10u);
  EXPECT_EQ(again->returns.load(), 1u);
  EXPECT_EQ(again->ret_value[0], 10u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(again).has_value());
}

TEST(Kretprobes, PoolOfMoreThanSixtyFourInstances) {
  // 70 calls outstanding at once, one per task: the pool's bitmap spans two
  // words, every instance is handed out once, and the 71st call is missed.
  constexpr uint32_t kPool = 70;
  ostd::RefPtr<Recording> rp = NewRecording(kPool);
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kBlocking}).has_value());
  blocking_entered.store(false);
  blocking_release.store(false);
  std::atomic<uint64_t> sum{0};
  ostd::TaskGroup group;  // joined before `sum` goes
  for (uint32_t i = 0; i <= kPool; ++i) {
    ostd::Result<ostd::TaskRef> t =
        group.Spawn([&sum, i] { sum.fetch_add(KretBlocking(i), std::memory_order_relaxed); });
    ASSERT_TRUE(t.has_value());
  }
  while (rp->nhit() < kPool + 1) ostd::Yield();
  EXPECT_EQ(rp->outstanding(), kPool);
  EXPECT_EQ(rp->entries.load(), kPool);
  EXPECT_EQ(rp->nmissed(), 1u);
  blocking_release.store(true, std::memory_order_release);
  group.Join();
  EXPECT_EQ(sum.load(), uint64_t{kPool} * (kPool + 1));  // 2 * (0 + 1 + ... + 70)
  EXPECT_EQ(rp->returns.load(), kPool);
  EXPECT_EQ(rp->outstanding(), 0u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
}

class CountingKprobe : public kprobes::Kprobe {
 public:
  void PreHandler(const Regs&) override { pre.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<uint64_t> pre{0};
};

TEST(Kretprobes, SharesAnAddressWithAKprobe) {
  ostd::RefPtr<Recording> rp = NewRecording();
  ostd::Result<ostd::RefPtr<CountingKprobe>> kp = ostd::MakeRef<CountingKprobe>();
  ASSERT_TRUE(kp.has_value());
  ASSERT_TRUE(kprobes::RegisterKprobe(*kp, ProbeSite{.symbol = kTarget}).has_value());
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_EQ(KretTarget(2), 17u);
  EXPECT_EQ((*kp)->pre.load(), 1u);
  ASSERT_EQ(rp->returns.load(), 1u);
  EXPECT_EQ(rp->ret_value[0], 17u);
  ASSERT_TRUE(kprobes::UnregisterKprobe(*kp).has_value());
  EXPECT_EQ(KretTarget(3), 24u);
  EXPECT_EQ(rp->returns.load(), 2u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
}

TEST(Kretprobes, ConcurrentCallsOnFourCpus) {
  ostd::RefPtr<Recording> rp = NewRecording(64);
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kRecurse}).has_value());
  constexpr uint64_t kPerTask = 200;
  std::atomic<uint64_t> wrong{0};
  ostd::TaskGroup group;  // joined before `wrong` goes
  for (uint32_t c = 0; c < 4; ++c) {
    ostd::TaskOptions options;
    options.affinity(ostd::CpuSet::FromBits(uint64_t{1} << c));
    ostd::Result<ostd::TaskRef> t = group.Spawn(
        [&wrong] {
          for (uint64_t i = 0; i < kPerTask; ++i) {
            if (KretRecurse(3) != 7) wrong.fetch_add(1, std::memory_order_relaxed);
          }
        },
        options);
    ASSERT_TRUE(t.has_value());
  }
  group.Join();
  EXPECT_EQ(wrong.load(), 0u);
  // Four levels per call; all hits reported or missed, never lost.
  EXPECT_EQ(rp->entries.load() + rp->nmissed(), 4 * 4 * kPerTask);
  EXPECT_EQ(rp->returns.load(), rp->entries.load());
  EXPECT_EQ(rp->outstanding(), 0u);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
}

TEST(Kretprobes, ErrorsAsRegisterKretprobe) {
  ostd::RefPtr<Recording> rp = NewRecording();
  std::optional<ostd::Symbol> fn = ostd::KernelSymbols().FindSymbol(kTarget);
  ASSERT_TRUE(fn.has_value());
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{})), ostd::Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = "no_such_symbol_at_all"})),
            ostd::Errno::kENOENT);
  // Not at the function's entry: by offset and by address.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kTarget, .offset = 1})),
            ostd::Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(
                rp, ProbeSite{.symbol = {}, .offset = 0, .addr = fn->address + 1})),
            ostd::Errno::kEINVAL);
  // Blacklisted: the trap dispatcher, and ostd's return trampoline itself.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = "arch_trap_dispatch"})),
            ostd::Errno::kEINVAL);
  EXPECT_EQ(
      ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = "ostd_probe_return_trampoline"})),
      ostd::Errno::kEINVAL);
  // maxactive too large.
  ostd::RefPtr<Recording> big = NewRecording(Kretprobe::kMaxActive + 1);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(big, ProbeSite{.symbol = kTarget})),
            ostd::Errno::kEINVAL);
  // Twice; unregistering what is not registered.
  ASSERT_TRUE(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_EQ(ErrorOf(kprobes::RegisterKretprobe(rp, ProbeSite{.symbol = kTarget})),
            ostd::Errno::kEEXIST);
  ASSERT_TRUE(kprobes::UnregisterKretprobe(rp).has_value());
  EXPECT_EQ(ErrorOf(kprobes::UnregisterKretprobe(rp)), ostd::Errno::kENOENT);
  EXPECT_EQ(ErrorOf(kprobes::EnableKretprobe(rp)), ostd::Errno::kEINVAL);
  EXPECT_EQ(KretTarget(2), 17u);
  EXPECT_EQ(rp->returns.load(), 1u - 1u);
}

}  // namespace
}  // namespace kernel::kretprobe_test
