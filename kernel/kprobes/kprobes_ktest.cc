// ktests: kprobes through the kernel API (gate-checked kernel code): register
// by symbol and by address, pre/post handlers, several kprobes on one
// address, enable/disable, errors as Linux's register_kprobe.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/kprobes/kprobes.h"
#include "ktest/ktest.h"
#include "ostd/ksyms.h"
#include "ostd/patch/insn.h"
#include "ostd/patch/probe.h"
#include "ostd/util/ref_ptr.h"

namespace kernel::kprobes_test {

std::atomic<uint64_t> calls{0};

// Probe targets: ordinary kernel functions, found by their (demangled)
// names in the kernel symbol table.
[[gnu::noinline]] uint64_t KprobeTarget(uint64_t x) {
  calls.fetch_add(1, std::memory_order_relaxed);
  return x * 3 + 1;
}

[[gnu::noinline]] uint64_t KprobeOther(uint64_t x) {
  calls.fetch_add(1, std::memory_order_relaxed);
  return x ^ 0x5a5a;
}

constexpr std::string_view kTarget = "kernel::kprobes_test::KprobeTarget(unsigned long)";
constexpr std::string_view kOther = "kernel::kprobes_test::KprobeOther(unsigned long)";

namespace {

using kprobes::Kprobe;
using kprobes::ProbeSite;
using kprobes::Regs;

class Counting : public Kprobe {
 public:
  explicit Counting(bool post_handler = true) : Kprobe(post_handler) {}
  void PreHandler(const Regs& regs) override {
    pre.fetch_add(1, std::memory_order_relaxed);
    arg = regs.rdi;
  }
  void PostHandler(const Regs&) override { post.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<uint64_t> pre{0};
  std::atomic<uint64_t> post{0};
  uint64_t arg = 0;
};

ostd::RefPtr<Counting> NewCounting() {
  ostd::Result<ostd::RefPtr<Counting>> kp = ostd::MakeRef<Counting>();
  EXPECT_TRUE(kp.has_value());
  return kp ? *kp : ostd::RefPtr<Counting>();
}

ostd::Errno ErrorOf(const ostd::Status& s) {
  EXPECT_FALSE(s.has_value());
  return s.has_value() ? ostd::Errno{} : s.error();
}

TEST(Kprobes, RegisterBySymbolRunsPreAndPostHandlers) {
  ostd::RefPtr<Counting> kp = NewCounting();
  ASSERT_TRUE(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_TRUE(kp->registered());
  EXPECT_TRUE(kp->enabled());
  EXPECT_EQ(kp->function().name, kTarget);
  EXPECT_EQ(kp->function().offset, 0u);
  EXPECT_EQ(KprobeTarget(5), 16u);
  EXPECT_EQ(kp->pre.load(), 1u);
  EXPECT_EQ(kp->post.load(), 1u);
  EXPECT_EQ(kp->arg, 5u);
  EXPECT_EQ(kp->nhit(), 1u);
  EXPECT_EQ(kp->nmissed(), 0u);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = kTarget})),
            ostd::Errno::kEEXIST);
  ASSERT_TRUE(kprobes::UnregisterKprobe(kp).has_value());
  EXPECT_FALSE(kp->registered());
  EXPECT_EQ(KprobeTarget(5), 16u);
  EXPECT_EQ(kp->pre.load(), 1u);
  EXPECT_EQ(ErrorOf(kprobes::UnregisterKprobe(kp)), ostd::Errno::kENOENT);
  EXPECT_EQ(ErrorOf(kprobes::EnableKprobe(kp)), ostd::Errno::kEINVAL);
}

TEST(Kprobes, WithoutPostHandlerOnlyThePreHandlerRuns) {
  ostd::Result<ostd::RefPtr<Counting>> pre_only = ostd::MakeRef<Counting>(/*post_handler=*/false);
  ASSERT_TRUE(pre_only.has_value());
  ostd::RefPtr<Counting> both = NewCounting();
  ASSERT_TRUE(kprobes::RegisterKprobe(*pre_only, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_EQ(KprobeTarget(7), 22u);
  EXPECT_EQ((*pre_only)->pre.load(), 1u);
  EXPECT_EQ((*pre_only)->post.load(), 0u);
  // A second probe on the address that wants its post handler gets it; the
  // first still does not.
  ASSERT_TRUE(kprobes::RegisterKprobe(both, ProbeSite{.symbol = kTarget}).has_value());
  EXPECT_EQ(KprobeTarget(7), 22u);
  EXPECT_EQ((*pre_only)->pre.load(), 2u);
  EXPECT_EQ((*pre_only)->post.load(), 0u);
  EXPECT_EQ(both->pre.load(), 1u);
  EXPECT_EQ(both->post.load(), 1u);
  ASSERT_TRUE(kprobes::UnregisterKprobe(both).has_value());
  ASSERT_TRUE(kprobes::UnregisterKprobe(*pre_only).has_value());
}

TEST(Kprobes, RegisterByAddressAndRestoreBytes) {
  std::optional<ostd::Symbol> fn = ostd::KernelSymbols().FindSymbol(kOther);
  ASSERT_TRUE(fn.has_value());
  std::array<uint8_t, 16> before{};
  ASSERT_TRUE(ostd::patch::ReadKernelMemory(fn->address, before).has_value());
  ostd::RefPtr<Counting> kp = NewCounting();
  ASSERT_TRUE(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = {}, .offset = 0, .addr = fn->address})
                  .has_value());
  EXPECT_EQ(kp->address(), fn->address);
  std::array<uint8_t, 16> armed{};
  ASSERT_TRUE(ostd::patch::ReadKernelMemory(fn->address, armed).has_value());
  EXPECT_EQ(armed[0], 0xcc);
  EXPECT_EQ(KprobeOther(1), 1u ^ 0x5a5a);
  EXPECT_EQ(kp->pre.load(), 1u);
  ASSERT_TRUE(kprobes::UnregisterKprobe(kp).has_value());
  std::array<uint8_t, 16> after{};
  ASSERT_TRUE(ostd::patch::ReadKernelMemory(fn->address, after).has_value());
  EXPECT_TRUE(after == before);
}

TEST(Kprobes, SeveralKprobesOnOneAddressAndDisable) {
  ostd::RefPtr<Counting> a = NewCounting();
  ostd::RefPtr<Counting> b = NewCounting();
  ASSERT_TRUE(kprobes::RegisterKprobe(a, ProbeSite{.symbol = kTarget}).has_value());
  ASSERT_TRUE(
      kprobes::RegisterKprobe(b, ProbeSite{.symbol = kTarget}, /*disabled=*/true).has_value());
  EXPECT_FALSE(b->enabled());
  EXPECT_EQ(KprobeTarget(1), 4u);
  EXPECT_EQ(a->pre.load(), 1u);
  EXPECT_EQ(b->pre.load(), 0u);
  ASSERT_TRUE(kprobes::EnableKprobe(b).has_value());
  EXPECT_EQ(KprobeTarget(1), 4u);
  EXPECT_EQ(a->pre.load(), 2u);
  EXPECT_EQ(b->pre.load(), 1u);
  ASSERT_TRUE(kprobes::DisableKprobe(a).has_value());
  EXPECT_FALSE(a->enabled());
  EXPECT_EQ(KprobeTarget(1), 4u);
  EXPECT_EQ(a->pre.load(), 2u);
  EXPECT_EQ(b->pre.load(), 2u);
  ASSERT_TRUE(kprobes::UnregisterKprobe(b).has_value());
  EXPECT_EQ(KprobeTarget(1), 4u);
  EXPECT_EQ(a->pre.load(), 2u);  // disabled, and b is gone
  ASSERT_TRUE(kprobes::UnregisterKprobe(a).has_value());
}

// An offset inside the first multi-byte instruction among the first two.
uint64_t NonBoundaryOffset(uint64_t start) {
  std::array<uint8_t, 32> code{};
  EXPECT_TRUE(ostd::patch::ReadKernelMemory(start, code).has_value());
  uint64_t at = 0;
  for (int i = 0; i < 2; ++i) {
    ostd::Result<ostd::patch::Insn> insn =
        ostd::patch::DecodeInsn(std::span<const uint8_t>(code).subspan(at));
    EXPECT_TRUE(insn.has_value());
    if (!insn) return 0;
    if (insn->length > 1) return at + 1;
    at += insn->length;
  }
  return 0;
}

TEST(Kprobes, ErrorsAsRegisterKprobe) {
  ostd::RefPtr<Counting> kp = NewCounting();
  std::optional<ostd::Symbol> fn = ostd::KernelSymbols().FindSymbol(kTarget);
  ASSERT_TRUE(fn.has_value());
  // Neither or both of symbol and address.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{})), ostd::Errno::kEINVAL);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(
                kp, ProbeSite{.symbol = kTarget, .offset = 0, .addr = fn->address})),
            ostd::Errno::kEINVAL);
  // Unknown symbol.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = "no_such_symbol_at_all"})),
            ostd::Errno::kENOENT);
  // Not an instruction boundary.
  uint64_t inside = NonBoundaryOffset(fn->address);
  ASSERT_NE(inside, 0u);
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = kTarget, .offset = inside})),
            ostd::Errno::kEILSEQ);
  // Past the function's end.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = kTarget, .offset = fn->size})),
            ostd::Errno::kEINVAL);
  // Blacklisted: the trap dispatcher and the probe core.
  EXPECT_EQ(ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = "arch_trap_dispatch"})),
            ostd::Errno::kEINVAL);
  // Not kernel text.
  EXPECT_EQ(
      ErrorOf(kprobes::RegisterKprobe(kp, ProbeSite{.symbol = {}, .offset = 0, .addr = 0x400000})),
      ostd::Errno::kEINVAL);
  EXPECT_FALSE(kp->registered());
  EXPECT_EQ(KprobeTarget(2), 7u);
  EXPECT_EQ(kp->pre.load(), 0u);
}

}  // namespace
}  // namespace kernel::kprobes_test
