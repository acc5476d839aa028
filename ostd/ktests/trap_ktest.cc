// ktests: CPU exceptions are caught and described; interrupt vectors.
#include <atomic>

#include "ktest/ktest.h"
#include "ostd/fmt.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/ksyms.h"
#include "ostd/trap.h"

namespace ostd {
namespace {

// SAFETY (this file): each trigger executes one faulting instruction inside
// CatchFault, which resumes at its recovery point.

TEST(TrapTest, InvalidOpcodeIsCaught) {
  std::optional<FaultInfo> f = CatchFault([] { asm volatile("ud2"); });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorInvalidOpcode);
  EXPECT_NE(f->rip, 0u);
}

TEST(TrapTest, GeneralProtectionIsCaught) {
  // A non-canonical address raises #GP, not #PF.
  std::optional<FaultInfo> f = CatchFault([] {
    asm volatile("movq (%0), %%rax" : : "r"(0x8000000000000000ull) : "rax");
  });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorGeneralProtection);
}

TEST(TrapTest, PageFaultReportsAddressAndCause) {
  constexpr uint64_t kAddr = 0x1000;  // user half: nothing is mapped there
  std::optional<FaultInfo> f = CatchFault([] {
    asm volatile("movq (%0), %%rax" : : "r"(kAddr) : "rax");
  });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorPageFault);
  EXPECT_EQ(f->address, kAddr);
  StackString<256> text;
  DescribeFault(text, *f);
  EXPECT_TRUE(text.view().find("#PF page fault") != std::string_view::npos) << text.view();
  EXPECT_TRUE(text.view().find("not-present page on read in kernel mode") != std::string_view::npos)
      << text.view();
  EXPECT_TRUE(text.view().find("0x1000") != std::string_view::npos) << text.view();
}

TEST(TrapTest, DivideErrorAndBreakpoint) {
  std::optional<FaultInfo> f = CatchFault([] {
    asm volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx"
                 :
                 :
                 : "rax", "rcx", "rdx");
  });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorDivideError);
  std::optional<FaultInfo> bp = CatchFault([] { asm volatile("int3"); });
  ASSERT_TRUE(bp.has_value());
  EXPECT_EQ(bp->vector, kVectorBreakpoint);
}

TEST(TrapTest, NoFaultMeansNullopt) {
  int x = 0;
  EXPECT_FALSE(CatchFault([&x] { x = 42; }).has_value());
  EXPECT_EQ(x, 42);
}

TEST(TrapTest, NestedCatchRestoresOuterRegion) {
  std::optional<FaultInfo> inner;
  std::optional<FaultInfo> outer = CatchFault([&inner] {
    inner = CatchFault([] { asm volatile("ud2"); });
    asm volatile("int3");
  });
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->vector, kVectorInvalidOpcode);
  ASSERT_TRUE(outer.has_value());
  EXPECT_EQ(outer->vector, kVectorBreakpoint);
}

TEST(TrapTest, ExceptionNames) {
  EXPECT_STREQ(ExceptionName(14), "#PF page fault");
  EXPECT_STREQ(ExceptionName(13), "#GP general protection");
  EXPECT_STREQ(ExceptionName(6), "#UD invalid opcode");
  EXPECT_STREQ(ExceptionName(31), "reserved exception");
}

std::atomic<int> irq_hits{0};
void CountingHandler(uint8_t vector) { irq_hits.fetch_add(vector); }

TEST(IrqTest, RegisteredHandlerRunsOnItsVector) {
  ASSERT_TRUE(RegisterIrqHandler(0x40, CountingHandler).has_value());
  EXPECT_EQ(RegisterIrqHandler(0x40, CountingHandler).error(), Errno::kEBUSY);
  irq_hits = 0;
  asm volatile("int $0x40");
  EXPECT_EQ(irq_hits.load(), 0x40);
  EXPECT_EQ(UnregisterIrqHandler(0x40, nullptr).error(), Errno::kENOENT);
  EXPECT_EQ(UnregisterIrqHandler(0x41, CountingHandler).error(), Errno::kENOENT);  // not ours
  ASSERT_TRUE(UnregisterIrqHandler(0x40, CountingHandler).has_value());
  EXPECT_TRUE(RegisterIrqHandler(0x40, CountingHandler).has_value());
  ASSERT_TRUE(UnregisterIrqHandler(0x40, CountingHandler).has_value());
  EXPECT_EQ(UnregisterIrqHandler(0x40, CountingHandler).error(), Errno::kENOENT);
}

TEST(IrqTest, OstdVectorsAndBadArgumentsAreRefused) {
  EXPECT_EQ(RegisterIrqHandler(14, CountingHandler).error(), Errno::kEINVAL);
  EXPECT_EQ(RegisterIrqHandler(0x20, CountingHandler).error(), Errno::kEBUSY);  // the timer
  EXPECT_EQ(RegisterIrqHandler(0xf0, CountingHandler).error(), Errno::kEBUSY);  // cross-CPU calls
  EXPECT_EQ(RegisterIrqHandler(0xf1, CountingHandler).error(), Errno::kEBUSY);  // CPU stop
  EXPECT_EQ(RegisterIrqHandler(0xff, CountingHandler).error(), Errno::kEINVAL);
  EXPECT_EQ(RegisterIrqHandler(0x41, nullptr).error(), Errno::kEINVAL);
}

void SomeKnownFunctionForSymbols() { asm volatile(""); }

TEST(KsymsTest, KernelSymbolsResolveCode) {
  const SymbolTable& syms = KernelSymbols();
  EXPECT_GT(syms.size(), 100u);
  // SAFETY: the function's address, only looked up.
  uint64_t addr = reinterpret_cast<uint64_t>(&SomeKnownFunctionForSymbols);
  std::optional<Symbol> s = syms.Lookup(addr);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->offset, 0u);
  EXPECT_TRUE(s->name.find("SomeKnownFunctionForSymbols") != std::string_view::npos) << s->name;
  EXPECT_TRUE(syms.Find("ostd_boot_entry").has_value());
}

}  // namespace
}  // namespace ostd
