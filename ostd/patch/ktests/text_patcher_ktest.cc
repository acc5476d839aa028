// ktests: TextPatcher writes kernel text through an alias, keeps text RX and
// refuses everything that is not kernel text.
#include <array>
#include <atomic>
#include <cstdint>
#include <new>

#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/patch/internal/testing.h"
#include "ostd/patch/internal/text_patcher.h"
#include "ostd/patch/internal/wx_walk.h"
#include "ostd/sync.h"

extern "C" const char __text_start[], __text_end[], __rodata_start[];

// Two patch targets with known encodings, in kernel text (.text.*):
//   keel_patch_ktest_ret1:     b8 01 00 00 00 c3   movl $1, %eax; ret
//   keel_patch_ktest_straddle: b8 07 00 00 00 c3   movl $7, %eax; ret, placed
//     so that its first 3 bytes end one page and the other 3 start the next.
// SAFETY: plain leaf functions following the C calling convention (they only
// set %eax); the tests patch them only with equally sized such functions.
asm(R"(
  .pushsection .text.keel_patch_ktest, "ax", @progbits
  .p2align 4
  .globl keel_patch_ktest_ret1
  .type keel_patch_ktest_ret1, @function
keel_patch_ktest_ret1:
  movl $1, %eax
  ret
  .size keel_patch_ktest_ret1, . - keel_patch_ktest_ret1
  .p2align 12
  .skip 4093, 0xcc
  .globl keel_patch_ktest_straddle
  .type keel_patch_ktest_straddle, @function
keel_patch_ktest_straddle:
  movl $7, %eax
  ret
  .size keel_patch_ktest_straddle, . - keel_patch_ktest_straddle
  .popsection
)");

extern "C" int keel_patch_ktest_ret1();
extern "C" int keel_patch_ktest_straddle();

namespace ostd::patch {
namespace {

using mm::kPageSize;

uint64_t data_word = 0x1234;  // .data
uint64_t bss_word;            // .bss

// SAFETY (helpers): only the numeric addresses of functions and objects.
Vaddr AddrOf(int (*fn)()) { return reinterpret_cast<Vaddr>(fn); }
Vaddr AddrOf(const void* p) { return reinterpret_cast<Vaddr>(p); }

constexpr std::array<uint8_t, 6> kRet1 = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
constexpr std::array<uint8_t, 6> kRet2 = {0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3};
constexpr std::array<uint8_t, 6> kRet7 = {0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3};
constexpr std::array<uint8_t, 6> kRet9 = {0xb8, 0x09, 0x00, 0x00, 0x00, 0xc3};

std::array<uint8_t, 6> ReadSix(Vaddr addr) {
  std::array<uint8_t, 6> out{};
  EXPECT_TRUE(TextPatcher::Read(addr, out).has_value());
  return out;
}

// Every kernel text page is mapped R X (not writable), and the alias window
// is unmapped.
void ExpectTextStillRx() {
  for (Vaddr va = AddrOf(__text_start); va < AddrOf(__text_end); va += kPageSize) {
    std::optional<internal::Mapping> m = internal::KernelPageTable().Query(va);
    ASSERT_TRUE(m.has_value()) << "text page " << va;
    EXPECT_TRUE(m->flags.executable) << "text page " << va;
    EXPECT_FALSE(m->flags.writable) << "text page " << va;
  }
  Vaddr alias = patch_internal::TextPatchAliasForTest();
  ASSERT_NE(alias, 0u);
  EXPECT_FALSE(internal::KernelPageTable().Query(alias).has_value());
  EXPECT_FALSE(internal::KernelPageTable().Query(alias + kPageSize).has_value());
  ktest_util::WalkCounts image = ktest_util::WalkKernelRange(
      internal::KernelImageStart(), mm::AlignUp(internal::KernelImageEnd(), kPageSize));
  EXPECT_EQ(image.writable_exec, 0u) << "W+X at " << image.first_wx;
}

TEST(TextPatcherTest, PatchesAFunctionAndRestoresIt) {
  Vaddr fn = AddrOf(&keel_patch_ktest_ret1);
  ASSERT_TRUE(TextPatcher::IsKernelText(fn, kRet1.size()));
  ASSERT_EQ(ReadSix(fn), kRet1);
  ASSERT_EQ(keel_patch_ktest_ret1(), 1);

  ASSERT_TRUE(TextPatcher::Patch(fn, kRet2).has_value());
  EXPECT_EQ(ReadSix(fn), kRet2);
  EXPECT_EQ(keel_patch_ktest_ret1(), 2);
  ExpectTextStillRx();

  ASSERT_TRUE(TextPatcher::Patch(fn, kRet1).has_value());
  EXPECT_EQ(ReadSix(fn), kRet1);
  EXPECT_EQ(keel_patch_ktest_ret1(), 1);
  ExpectTextStillRx();
}

TEST(TextPatcherTest, PatchCrossingAPageBoundary) {
  Vaddr fn = AddrOf(&keel_patch_ktest_straddle);
  ASSERT_EQ(fn % kPageSize, kPageSize - 3) << "the target must straddle a page boundary";
  ASSERT_EQ(ReadSix(fn), kRet7);
  ASSERT_EQ(keel_patch_ktest_straddle(), 7);
  ASSERT_TRUE(TextPatcher::Patch(fn, kRet9).has_value());
  EXPECT_EQ(ReadSix(fn), kRet9);
  EXPECT_EQ(keel_patch_ktest_straddle(), 9);
  ExpectTextStillRx();
  ASSERT_TRUE(TextPatcher::Patch(fn, kRet7).has_value());
  EXPECT_EQ(keel_patch_ktest_straddle(), 7);
  ExpectTextStillRx();
}

std::atomic<uint32_t> other_cpu_runs{0};
std::atomic<uint32_t> other_cpu_bad{0};

TEST(TextPatcherTest, OtherCpusRunThePatchedCode) {
  Vaddr fn = AddrOf(&keel_patch_ktest_ret1);
  CpuSet others = internal::OnlineCpus();
  others.Remove(cpu::CurrentId());
  for (int round = 0; round < 3; ++round) {
    const std::array<uint8_t, 6>& bytes = round % 2 == 0 ? kRet2 : kRet1;
    int want = round % 2 == 0 ? 2 : 1;
    ASSERT_TRUE(TextPatcher::Patch(fn, bytes).has_value());
    other_cpu_runs = 0;
    other_cpu_bad = 0;
    static std::atomic<int> expected;
    expected = want;
    internal::CallOnCpus(
        others,
        [](void*) {
          other_cpu_runs.fetch_add(1);
          if (keel_patch_ktest_ret1() != expected.load()) other_cpu_bad.fetch_add(1);
        },
        nullptr);
    EXPECT_EQ(other_cpu_runs.load(), others.count());
    EXPECT_EQ(other_cpu_bad.load(), 0u) << "round " << round;
    EXPECT_EQ(keel_patch_ktest_ret1(), want);
  }
  ASSERT_TRUE(TextPatcher::Patch(fn, kRet1).has_value());
  EXPECT_EQ(keel_patch_ktest_ret1(), 1);
}

TEST(TextPatcherTest, RefusesEverythingThatIsNotKernelText) {
  uint8_t* heap = new (std::nothrow) uint8_t[64];
  ASSERT_TRUE(heap != nullptr);
  Vaddr text = AddrOf(&keel_patch_ktest_ret1);
  struct Case {
    const char* what;
    Vaddr addr;
    uint64_t len;
  };
  const Case cases[] = {
      {"heap", AddrOf(heap), 6},
      {"rodata", AddrOf(__rodata_start), 6},
      {"data", AddrOf(&data_word), 6},
      {"bss", AddrOf(&bss_word), 6},
      {"linear map", internal::PhysToVirt(0x200000), 6},
      {"module area", internal::kModuleBase, 6},
      {"kernel virtual area", internal::kKvaBase, 6},
      {"user", 0x400000, 6},
      {"null", 0, 6},
      {"non-canonical", 0x0000900000000000ull, 6},
      {"empty", text, 0},
      {"wraps around", ~uint64_t{0} - 2, 6},
      {"ends past text", AddrOf(__text_end) - 3, 6},
      {"starts before text", AddrOf(__text_start) - 3, 6},
      {"too long", AddrOf(__text_start), TextPatcher::kMaxPatchBytes + 1},
  };
  std::array<uint8_t, TextPatcher::kMaxPatchBytes + 1> zeros{};
  for (const Case& c : cases) {
    std::span<const uint8_t> bytes(zeros.data(), c.len);
    Status s = TextPatcher::Patch(c.addr, bytes);
    ASSERT_FALSE(s.has_value()) << c.what;
    EXPECT_EQ(s.error(), Errno::kEINVAL) << c.what;
    if (c.len <= TextPatcher::kMaxPatchBytes) {
      EXPECT_FALSE(TextPatcher::IsKernelText(c.addr, c.len)) << c.what;
      std::span<uint8_t> out(zeros.data(), c.len);
      EXPECT_EQ(TextPatcher::Read(c.addr, out).error(), Errno::kEINVAL) << c.what;
    }
  }
  delete[] heap;
  EXPECT_EQ(data_word, 0x1234u);
  EXPECT_EQ(keel_patch_ktest_ret1(), 1);
  // The edges of text are accepted.
  EXPECT_TRUE(TextPatcher::IsKernelText(AddrOf(__text_start), 1));
  EXPECT_TRUE(TextPatcher::IsKernelText(AddrOf(__text_end) - 1, 1));
}

TEST(TextPatcherTest, RefusesToRunWithInterruptsDisabled) {
  Vaddr fn = AddrOf(&keel_patch_ktest_ret1);
  Status s;
  {
    IrqGuard irq;
    s = TextPatcher::Patch(fn, kRet2);
  }
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), Errno::kEBUSY);
  EXPECT_EQ(keel_patch_ktest_ret1(), 1);
}

}  // namespace
}  // namespace ostd::patch
