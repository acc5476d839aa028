// ktests: the machine's protections, tripped for real. Each test makes the
// kernel break one rule (execute a user page, read a user page outside a user
// copy, execute data, write text or a sealed module region, overflow its
// stack, follow a null pointer) and checks that the CPU stops it and that the
// trap handler names the cause (FaultInfo::cause, and DescribeFault's text,
// which is what a panic prints). The expected-panic tests show the name
// reaching the panic line of a fault nothing catches.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "lib/fault_cause.h"
#include "ostd/ffi/module_memory.h"
#include "ostd/fmt.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/mm/frame.h"
#include "ostd/patch/section_plan.h"
#include "ostd/task/task.h"
#include "ostd/trap.h"
#include "ostd/util/box.h"
#include "ostd/vm/internal/vm_test_util.h"

extern "C" const char __text_start[];

namespace ostd {
namespace {

using klib::FaultCause;
using klib::FaultCauseName;
using vm::kPage;
using vm::kUserBase;

constexpr uint8_t kRet = 0xc3;

bool HasSmep() { return (arch::Cpuid(7).ebx & (1u << 7)) != 0; }
bool HasSmap() { return (arch::Cpuid(7).ebx & (1u << 20)) != 0; }

// Hides `va`'s value from the optimizer, which would otherwise turn a call
// or access through a constant null pointer into a trap instruction.
uint64_t Opaque(uint64_t va) {
  // SAFETY: an empty asm statement; it emits no instruction.
  asm volatile("" : "+r"(va));
  return va;
}

// SAFETY (helpers): each performs one access the calling test expects the
// CPU to refuse; the tests run them inside CatchFault (which resumes at its
// recovery point) or under KTEST_EXPECT_PANIC. Volatile keeps the access.
void CallAt(uint64_t va) { reinterpret_cast<void (*)()>(Opaque(va))(); }
uint64_t LoadAt(uint64_t va) { return *reinterpret_cast<volatile const uint64_t*>(Opaque(va)); }
void StoreAt(uint64_t va, uint8_t v) { *reinterpret_cast<volatile uint8_t*>(Opaque(va)) = v; }

// Checks that `f` is a page fault at `address` whose cause is `cause`, and that
// its description (the text a panic prints) names it and contains `keyword`.
void ExpectCause(const std::optional<FaultInfo>& f, uint64_t address, FaultCause cause,
                 std::string_view keyword) {
  ASSERT_TRUE(f.has_value()) << "no fault: the protection did not stop the access";
  EXPECT_EQ(f->vector, kVectorPageFault);
  EXPECT_EQ(f->address, address);
  EXPECT_EQ(f->cause, cause) << "cause " << FaultCauseName(f->cause);
  StackString<320> text;
  DescribeFault(text, *f);
  ASSERT_FALSE(FaultCauseName(cause).empty());
  EXPECT_TRUE(text.view().find(FaultCauseName(cause)) != std::string_view::npos) << text.view();
  EXPECT_TRUE(text.view().find(keyword) != std::string_view::npos) << text.view();
}

// A user address space (vm_test_util.h) with a page mapped for the test.
class UserPageProtectionTest : public vm::UserSpaceTest {
 protected:
  // Maps a zeroed page at kUserBase with `flags` (user is forced on) and
  // writes `first_byte` at its start; false if out of memory.
  bool MapUserPage(mm::PageFlags flags, uint8_t first_byte) {
    Result<mm::UFrame> f = mm::UFrame::Alloc();
    if (!f) return false;
    Paddr frame = mm::FrameAccess::PaddrOf(*f);  // stays valid while mapped
    if (!space_->Map(kUserBase, std::move(*f), flags)) return false;
    Bytes(frame)[0] = first_byte;
    return true;
  }
};

TEST_F(UserPageProtectionTest, SmepStopsTheKernelExecutingAUserPage) {
  if (!HasSmep()) KTEST_SKIP("the CPU has no SMEP");
  ASSERT_NE(arch::ReadCr4() & arch::kCr4Smep, 0u) << "SMEP present but not enabled";
  ASSERT_TRUE(MapUserPage(mm::PageFlags{.executable = true}, kRet));
  std::optional<FaultInfo> f = CatchFault([] { CallAt(kUserBase); });
  ExpectCause(f, kUserBase, FaultCause::kSmep, "SMEP");
  if (f) EXPECT_EQ(f->error_code & 0x15, 0x11u) << "present, instruction fetch, kernel mode";
}

TEST_F(UserPageProtectionTest, SmapStopsAPlainKernelReadOfAUserPage) {
  if (!HasSmap()) KTEST_SKIP("the CPU has no SMAP");
  ASSERT_NE(arch::ReadCr4() & arch::kCr4Smap, 0u) << "SMAP present but not enabled";
  ASSERT_TRUE(MapUserPage(mm::PageFlags{.writable = true}, 0x5a));
  std::optional<FaultInfo> f = CatchFault([] { static_cast<void>(LoadAt(kUserBase)); });
  ExpectCause(f, kUserBase, FaultCause::kSmap, "SMAP");
  if (f) EXPECT_EQ(f->error_code & 0x17, 0x1u) << "present, read, kernel mode";
}

// Writes are refused too (a kernel store through a user pointer).
TEST_F(UserPageProtectionTest, SmapStopsAPlainKernelWriteToAUserPage) {
  if (!HasSmap()) KTEST_SKIP("the CPU has no SMAP");
  ASSERT_TRUE(MapUserPage(mm::PageFlags{.writable = true}, 0));
  std::optional<FaultInfo> f = CatchFault([] { StoreAt(kUserBase + 8, 1); });
  ExpectCause(f, kUserBase + 8, FaultCause::kSmap, "SMAP");
}

// A `ret` in kernel data: the kernel image maps .data no-execute.
constinit std::array<uint8_t, 16> data_with_ret = {kRet};

TEST(ProtectionTest, NxStopsTheKernelExecutingData) {
  // SAFETY: the address of a kernel data object, only called inside CatchFault.
  uint64_t va = reinterpret_cast<uint64_t>(data_with_ret.data());
  std::optional<FaultInfo> f = CatchFault([va] { CallAt(va); });
  ExpectCause(f, va, FaultCause::kNx, "NX");
  if (f) EXPECT_EQ(f->error_code & 0x15, 0x11u) << "present, instruction fetch, kernel mode";
}

TEST(ProtectionTest, NxStopsTheKernelExecutingTheHeap) {
  Result<Box<std::array<uint8_t, 16>>> heap = MakeBox<std::array<uint8_t, 16>>();
  ASSERT_TRUE(heap.has_value());
  (**heap)[0] = kRet;
  // SAFETY: the address of a heap object, only called inside CatchFault.
  uint64_t va = reinterpret_cast<uint64_t>((**heap).data());
  std::optional<FaultInfo> f = CatchFault([va] { CallAt(va); });
  ExpectCause(f, va, FaultCause::kNx, "NX");
}

TEST(ProtectionTest, WxStopsAWriteToKernelText) {
  // SAFETY: the first byte of kernel text, only written inside CatchFault.
  uint64_t text = reinterpret_cast<uint64_t>(__text_start);
  std::optional<FaultInfo> f = CatchFault([text] { StoreAt(text, 0xcc); });
  ExpectCause(f, text, FaultCause::kWriteProtect, "W^X");
  // And in the middle of a function this test calls.
  // SAFETY: the address of a function, only written inside CatchFault.
  uint64_t fn = reinterpret_cast<uint64_t>(&LoadAt) + 1;
  f = CatchFault([fn] { StoreAt(fn, 0xcc); });
  ExpectCause(f, fn, FaultCause::kWriteProtect, "W^X");
}

// A module's memory after the loader sealed it: text RX, rodata R, data RW NX.
TEST(ProtectionTest, WxStopsWritesToASealedModuleRegion) {
  constexpr std::array<patch::Section, 3> kLayout = {{
      {0, 1, patch::SectionKind::kText},
      {kPage, 64, patch::SectionKind::kRodata},
      {2 * kPage, 64, patch::SectionKind::kData},
  }};
  Result<RefPtr<ffi::ModuleMemory>> m = ffi::ModuleMemory::Create(3 * kPage);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE((*m)->Write(0, std::array<uint8_t, 1>{kRet}).has_value());
  ASSERT_TRUE((*m)->Write(2 * kPage, std::array<uint8_t, 1>{kRet}).has_value());
  uint64_t base = (*m)->base();
  // Before sealing the region is writable (and not executable).
  EXPECT_FALSE(CatchFault([base] { StoreAt(base + kPage, 7); }).has_value());
  ASSERT_TRUE((*m)->Seal(kLayout).has_value());
  std::optional<FaultInfo> f = CatchFault([base] { StoreAt(base, 0xcc); });
  ExpectCause(f, base, FaultCause::kWriteProtect, "W^X");
  f = CatchFault([base] { StoreAt(base + kPage, 0); });
  ExpectCause(f, base + kPage, FaultCause::kWriteProtect, "W^X");
  // Its data stays writable but never runs.
  EXPECT_FALSE(CatchFault([base] { StoreAt(base + 2 * kPage + 1, 0); }).has_value());
  f = CatchFault([base] { CallAt(base + 2 * kPage); });
  ExpectCause(f, base + 2 * kPage, FaultCause::kNx, "NX");
  std::array<uint8_t, 1> code{};
  ASSERT_TRUE((*m)->Read(0, code).has_value());
  EXPECT_EQ(code[0], kRet) << "sealed text unchanged";
}

TEST(ProtectionTest, NullDereferenceIsNamed) {
  std::optional<FaultInfo> f = CatchFault([] { static_cast<void>(LoadAt(0x10)); });
  ExpectCause(f, 0x10, FaultCause::kNullDereference, "NULL pointer");
  f = CatchFault([] { StoreAt(0xff8, 1); });
  ExpectCause(f, 0xff8, FaultCause::kNullDereference, "NULL pointer");
  // Calling a null function pointer.
  f = CatchFault([] { CallAt(0); });
  ExpectCause(f, 0, FaultCause::kNullDereference, "NULL pointer");
}

// A write just below a task's stack lands on its guard page. A plain store
// (not a push) faults with the stack pointer still valid, so the #PF is
// delivered and CatchFault recovers; the overflowing-recursion test below
// shows the double-fault path.
TEST(ProtectionTest, StackGuardPageWriteIsAStackOverflow) {
  std::optional<FaultInfo> fault;
  uint64_t guard_word = 0;
  Result<TaskRef> t = Spawn([&fault, &guard_word] {
    guard_word = CurrentTask()->stack_bottom() - 8;
    uint64_t va = guard_word;
    fault = CatchFault([va] { StoreAt(va, 1); });
  });
  ASSERT_TRUE(t.has_value());
  (*t)->Join();
  ASSERT_NE(guard_word, 0u);
  ExpectCause(fault, guard_word, FaultCause::kStackOverflow, "stack overflow");
}

// Another task's guard page is just an unmapped kernel address to this one.
TEST(ProtectionTest, AnotherTasksGuardPageIsUnmapped) {
  std::atomic<bool> stop{false};
  Result<TaskRef> t = Spawn([&stop] {
    while (!stop.load()) Yield();
  });
  ASSERT_TRUE(t.has_value());
  uint64_t va = (*t)->stack_bottom() - 8;
  std::optional<FaultInfo> f = CatchFault([va] { StoreAt(va, 1); });
  stop.store(true);
  (*t)->Join();
  ExpectCause(f, va, FaultCause::kUnmapped, "unmapped");
}

// Recurses until the stack runs out: each frame keeps 256 bytes live, so the
// deepest push or store lands in the guard page, never beyond it.
std::atomic<bool> stop_recursing{false};
uint64_t Recurse(uint64_t depth) {
  volatile uint8_t pad[256];
  pad[depth % sizeof(pad)] = static_cast<uint8_t>(depth);
  if (stop_recursing.load(std::memory_order_relaxed)) return pad[0];
  return Recurse(depth + 1) + pad[depth % sizeof(pad)];
}

TEST(ProtectionPanicTest, UnboundedRecursionPanicsAsAStackOverflow) {
  KTEST_EXPECT_PANIC("kernel stack overflow (guard page hit)");
  Result<TaskRef> t = Spawn([] { static_cast<void>(Recurse(0)); });
  if (t) (*t)->Join();
}

TEST_F(UserPageProtectionTest, UncaughtSmepFaultPanicNamesSmep) {
  if (!HasSmep()) KTEST_SKIP("the CPU has no SMEP");
  ASSERT_TRUE(MapUserPage(mm::PageFlags{.executable = true}, kRet));
  KTEST_EXPECT_PANIC("SMEP violation: the kernel executed a user page");
  CallAt(kUserBase);
}

}  // namespace
}  // namespace ostd
