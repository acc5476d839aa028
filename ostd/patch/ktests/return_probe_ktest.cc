// ktests: ReturnProbe at the ostd level: refusal of a function whose start
// is a branch target, frames abandoned by a caught fault (dropped, never
// resumed into, never filling the task's LIFO), the trampoline outside the
// probe set, a function whose first instruction is `ret`.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/ksyms.h"
#include "ostd/patch/ktests/probe_ktest_util.h"
#include "ostd/patch/probe.h"
#include "ostd/task/task.h"
#include "ostd/util/ref_ptr.h"

// SAFETY: plain functions with the C calling convention touching only rax,
// rdi, flags and their own stack slots; return_ktest_fault raises #UD on
// purpose (run only under CatchFault).
asm(R"(
  .pushsection .text.return_ktest, "ax", @progbits
  .p2align 4
  .globl return_ktest_loop
  .type return_ktest_loop, @function
return_ktest_loop:            // loops back to its first byte: not hookable
  dec %rdi
  jnz return_ktest_loop
  mov $7, %eax
  ret
  .size return_ktest_loop, . - return_ktest_loop

  .p2align 4
  .globl return_ktest_fault
  .type return_ktest_fault, @function
return_ktest_fault:           // push, then #UD: abandoned by CatchFault
  push %rbx
  ud2
  pop %rbx
  ret
  .size return_ktest_fault, . - return_ktest_fault

  .p2align 4
  .globl return_ktest_ret
  .type return_ktest_ret, @function
return_ktest_ret:             // `ret` first (emulated; pops the trampoline)
  ret
  .size return_ktest_ret, . - return_ktest_ret

  .p2align 4
  .globl return_ktest_leaf
  .type return_ktest_leaf, @function
return_ktest_leaf:            // rdi * 2
  lea (%rdi,%rdi), %rax
  ret
  .size return_ktest_leaf, . - return_ktest_leaf

  .p2align 4
  .globl return_ktest_tail
  .type return_ktest_tail, @function
return_ktest_tail:            // tail call: jmp return_ktest_leaf
  jmp return_ktest_leaf
  .size return_ktest_tail, . - return_ktest_tail
  .popsection
)");

extern "C" uint64_t return_ktest_loop(uint64_t n);
extern "C" void return_ktest_fault();
extern "C" void return_ktest_ret(uint64_t x);
extern "C" uint64_t return_ktest_leaf(uint64_t x);
extern "C" uint64_t return_ktest_tail(uint64_t x);

namespace ostd::patch {
namespace {

class Counting : public ReturnProbeHandler {
 public:
  std::optional<uint64_t> OnEntry(const ProbeRegs& regs) override {
    entries.fetch_add(1, std::memory_order_relaxed);
    return regs.rdi;
  }
  void OnReturn(const ProbeRegs& regs, uint64_t cookie) override {
    returns.fetch_add(1, std::memory_order_relaxed);
    last_rax = regs.rax;
    last_rip = regs.rip;
    last_cookie = cookie;
  }
  std::atomic<uint64_t> entries{0};
  std::atomic<uint64_t> returns{0};
  uint64_t last_rax = 0;
  uint64_t last_rip = 0;
  uint64_t last_cookie = 0;
};

RefPtr<Counting> NewCounting() {
  Result<RefPtr<Counting>> c = MakeRef<Counting>();
  EXPECT_TRUE(c.has_value());
  return c ? *c : RefPtr<Counting>();
}

[[gnu::noinline]] uint64_t CatchOnce(uint64_t x) {
  std::optional<FaultInfo> fault = CatchFault([] { return_ktest_fault(); });
  EXPECT_TRUE(fault.has_value());
  return x + 1;
}

TEST(ReturnProbe, RefusesAFunctionWhoseStartIsABranchTarget) {
  RefPtr<Counting> h = NewCounting();
  Result<ReturnProbe> rp = ReturnProbe::AtSymbol("return_ktest_loop", h);
  ASSERT_FALSE(rp.has_value());
  EXPECT_EQ(rp.error(), Errno::kEINVAL);
  // An ordinary Breakpoint there is fine: only the return hook is refused.
  Result<Breakpoint> bp =
      Breakpoint::AtSymbol("return_ktest_loop", 0, MakeRef<ProbeHandler>().value());
  EXPECT_TRUE(bp.has_value());
  EXPECT_EQ(return_ktest_loop(3), 7u);
}

TEST(ReturnProbe, TrampolineIsInTheNoProbeSet) {
  std::optional<Symbol> t = KernelSymbols().FindSymbol("ostd_probe_return_trampoline");
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(IsBlacklisted(t->address));
  RefPtr<Counting> h = NewCounting();
  Result<ReturnProbe> rp = ReturnProbe::AtSymbol("ostd_probe_return_trampoline", h);
  ASSERT_FALSE(rp.has_value());
  EXPECT_EQ(rp.error(), Errno::kEINVAL);
}

TEST(ReturnProbe, RetAsFirstInstruction) {
  RefPtr<Counting> h = NewCounting();
  Result<ReturnProbe> rp = ReturnProbe::AtSymbol("return_ktest_ret", h);
  ASSERT_TRUE(rp.has_value());
  return_ktest_ret(41);
  EXPECT_EQ(h->returns.load(), 1u);
  EXPECT_EQ(h->last_cookie, 41u);
  EXPECT_EQ(rp->returns(), 1u);
}

TEST(ReturnProbe, TailCallBetweenHookedFunctions) {
  RefPtr<Counting> tail = NewCounting();
  RefPtr<Counting> leaf = NewCounting();
  Result<ReturnProbe> rp_tail = ReturnProbe::AtSymbol("return_ktest_tail", tail);
  ASSERT_TRUE(rp_tail.has_value());
  Result<ReturnProbe> rp_leaf = ReturnProbe::AtSymbol("return_ktest_leaf", leaf);
  ASSERT_TRUE(rp_leaf.has_value());
  // The leaf hooks the slot the tail already hooked: both returns are
  // reported, innermost first, and the caller gets the right value.
  EXPECT_EQ(return_ktest_tail(21), 42u);
  EXPECT_EQ(leaf->returns.load(), 1u);
  EXPECT_EQ(tail->returns.load(), 1u);
  EXPECT_EQ(leaf->last_rax, 42u);
  EXPECT_EQ(tail->last_rax, 42u);
  // Both see the caller's real return address, not the trampoline.
  EXPECT_EQ(leaf->last_rip, tail->last_rip);
  std::optional<Symbol> caller = KernelSymbols().Lookup(tail->last_rip);
  ASSERT_TRUE(caller.has_value());
  EXPECT_NE(caller->name.find("TailCallBetweenHookedFunctions"), std::string_view::npos);
  EXPECT_EQ(return_ktest_leaf(5), 10u);
  EXPECT_EQ(leaf->returns.load(), 2u);
  EXPECT_EQ(tail->returns.load(), 1u);
}

// In a spawned task: a task adopted from a boot stack (the ktest runner's)
// has no known stack bounds, so dead entries are dropped only when an outer
// hooked frame returns.
void AbandonedFrames() {
  RefPtr<Counting> inner = NewCounting();
  RefPtr<Counting> outer = NewCounting();
  Result<ReturnProbe> rp_inner = ReturnProbe::AtSymbol("return_ktest_fault", inner);
  ASSERT_TRUE(rp_inner.has_value());
  // Many more abandoned frames than a task's LIFO holds: none is missed.
  constexpr uint64_t kRounds = 3 * ReturnProbe::kMaxNestedReturns;
  for (uint64_t i = 0; i < kRounds; ++i) {
    std::optional<FaultInfo> fault = CatchFault([] { return_ktest_fault(); });
    EXPECT_TRUE(fault.has_value());
  }
  EXPECT_EQ(inner->entries.load(), kRounds);
  EXPECT_EQ(rp_inner->missed(), 0u);
  EXPECT_EQ(inner->returns.load(), 0u);
  // Under a hooked outer frame: its return skips the dead inner entry and
  // resumes the real caller.
  Result<ReturnProbe> rp_outer =
      ReturnProbe::AtSymbol("ostd::patch::(anonymous namespace)::CatchOnce(unsigned long)", outer);
  ASSERT_TRUE(rp_outer.has_value());
  for (uint64_t i = 0; i < kRounds; ++i) EXPECT_EQ(CatchOnce(i), i + 1);
  EXPECT_EQ(outer->returns.load(), kRounds);
  EXPECT_EQ(outer->last_rax, kRounds);
  EXPECT_EQ(inner->returns.load(), 0u);
  EXPECT_EQ(rp_outer->missed(), 0u);
}

TEST(ReturnProbe, FramesAbandonedByAFaultAreDropped) {
  Result<TaskRef> t = Spawn([] { AbandonedFrames(); });
  ASSERT_TRUE(t.has_value());
  (*t)->Join();
}

// A C++ function with a patchable entry (probe.h): probes at its first byte
// are armed as a call to ostd's trampoline, not an int3.
extern "C" [[gnu::noinline, gnu::patchable_function_entry(5)]] uint64_t return_ktest_fentry(
    uint64_t x) {
  asm volatile("" : "+r"(x));  // not folded into the caller
  return x * 3 + 1;
}

std::array<uint8_t, 8> EntryBytes(Vaddr addr) {
  std::array<uint8_t, 8> out{};
  EXPECT_TRUE(ReadKernelMemory(addr, out).has_value());
  return out;
}

TEST(FentryProbe, EntryBreakpointIsACallAndRestoresTheNop) {
  std::optional<Symbol> fn = KernelSymbols().FindSymbol("return_ktest_fentry");
  ASSERT_TRUE(fn.has_value());
  std::array<uint8_t, 8> before = EntryBytes(fn->address);
  const std::array<uint8_t, 5> nop{0x0f, 0x1f, 0x44, 0x00, 0x08};
  for (size_t i = 0; i < nop.size(); ++i) EXPECT_EQ(before[i], nop[i]);
  RefPtr<Recorder> seen = NewRecorder();
  {
    Result<Breakpoint> bp = Breakpoint::AtSymbol("return_ktest_fentry", 0, seen);
    ASSERT_TRUE(bp.has_value());
    EXPECT_EQ(EntryBytes(fn->address)[0], 0xe8);  // call rel32
    EXPECT_EQ(return_ktest_fentry(5), 16u);
    EXPECT_EQ(seen->hits.load(), 1u);
    EXPECT_EQ(seen->after.load(), 1u);
    EXPECT_EQ(seen->last_rip, fn->address);
    EXPECT_EQ(seen->after_rip, fn->address + nop.size());
    EXPECT_EQ(seen->last_rdi, 5u);
    // The caller's rflags (IF on), not the trampoline's.
    EXPECT_NE(seen->last_rflags & (uint64_t{1} << 9), 0u);
    // The rest of the pt_regs frame the trampoline built: not a system
    // call, kernel selectors, and rsp at the function's entry, where the
    // caller's return address (into this test) is.
    EXPECT_EQ(seen->last_orig_rax, ~uint64_t{0});
    EXPECT_NE(seen->last_cs, 0u);
    EXPECT_EQ(seen->last_cs & 3, 0u);
    EXPECT_EQ(seen->last_ss & 3, 0u);
    EXPECT_EQ(seen->after_rsp, seen->last_rsp);
    std::array<uint8_t, 8> ret_bytes{};
    ASSERT_TRUE(ReadKernelMemory(seen->last_rsp, ret_bytes).has_value());
    uint64_t ret = 0;
    for (size_t i = 0; i < 8; ++i) ret |= uint64_t{ret_bytes[i]} << (8 * i);
    std::optional<Symbol> caller = KernelSymbols().Lookup(ret);
    ASSERT_TRUE(caller.has_value());
    EXPECT_NE(caller->name.find("EntryBreakpointIsACallAndRestoresTheNop"), std::string_view::npos)
        << caller->name;
    EXPECT_EQ(bp->hits(), 1u);
    // Disabled: the nop is back and nothing is counted.
    ASSERT_TRUE(bp->Disable().has_value());
    EXPECT_TRUE(EntryBytes(fn->address) == before);
    EXPECT_EQ(return_ktest_fentry(1), 4u);
    EXPECT_EQ(seen->hits.load(), 1u);
    ASSERT_TRUE(bp->Enable().has_value());
    EXPECT_EQ(return_ktest_fentry(2), 7u);
    EXPECT_EQ(seen->hits.load(), 2u);
  }
  EXPECT_TRUE(EntryBytes(fn->address) == before);
  EXPECT_EQ(return_ktest_fentry(5), 16u);
}

TEST(FentryProbe, AfterStepOnlyForUsersThatWantIt) {
  RefPtr<Recorder> no_after = NewRecorder();
  RefPtr<Recorder> with_after = NewRecorder();
  Result<Breakpoint> a =
      Breakpoint::AtSymbol("return_ktest_fentry", 0, no_after, ProbeOptions{.after_step = false});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(return_ktest_fentry(3), 10u);
  EXPECT_EQ(no_after->hits.load(), 1u);
  EXPECT_EQ(no_after->after.load(), 0u);
  {
    Result<Breakpoint> b = Breakpoint::AtSymbol("return_ktest_fentry", 0, with_after);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(return_ktest_fentry(3), 10u);
    EXPECT_EQ(no_after->hits.load(), 2u);
    EXPECT_EQ(no_after->after.load(), 0u);
    EXPECT_EQ(with_after->hits.load(), 1u);
    EXPECT_EQ(with_after->after.load(), 1u);
  }
  EXPECT_EQ(return_ktest_fentry(3), 10u);
  EXPECT_EQ(no_after->hits.load(), 3u);
  EXPECT_EQ(no_after->after.load(), 0u);
  EXPECT_EQ(with_after->after.load(), 1u);
}

TEST(FentryProbe, ReturnProbeOnAPatchableEntry) {
  std::optional<Symbol> fn = KernelSymbols().FindSymbol("return_ktest_fentry");
  ASSERT_TRUE(fn.has_value());
  std::array<uint8_t, 8> before = EntryBytes(fn->address);
  RefPtr<Counting> h = NewCounting();
  {
    Result<ReturnProbe> rp = ReturnProbe::AtSymbol("return_ktest_fentry", h);
    ASSERT_TRUE(rp.has_value());
    EXPECT_EQ(EntryBytes(fn->address)[0], 0xe8);
    for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(return_ktest_fentry(i), i * 3 + 1);
    EXPECT_EQ(h->entries.load(), 10u);
    EXPECT_EQ(h->returns.load(), 10u);
    EXPECT_EQ(h->last_rax, 28u);
    EXPECT_EQ(h->last_cookie, 9u);  // OnEntry's cookie: rdi at entry
  }
  EXPECT_TRUE(EntryBytes(fn->address) == before);
}

TEST(FentryProbe, FourCpusHitConcurrently) {
  if (cpu::Count() < 2) KTEST_SKIP("needs several CPUs");
  RefPtr<Recorder> seen = NewRecorder();
  RefPtr<Counting> h = NewCounting();
  Result<Breakpoint> bp = Breakpoint::AtSymbol("return_ktest_fentry", 0, seen);
  ASSERT_TRUE(bp.has_value());
  Result<ReturnProbe> rp = ReturnProbe::AtSymbol("return_ktest_fentry", h);
  ASSERT_TRUE(rp.has_value());
  static std::atomic<uint64_t> wrong{0};
  wrong.store(0);
  OnEveryCpu([] {
    for (uint64_t i = 0; i < 500; ++i) {
      if (return_ktest_fentry(i) != i * 3 + 1) wrong.fetch_add(1);
    }
  });
  uint64_t cpus = cpu::Count();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(bp->hits(), 500 * cpus);
  EXPECT_EQ(h->returns.load(), 500 * cpus);
}

}  // namespace
}  // namespace ostd::patch
