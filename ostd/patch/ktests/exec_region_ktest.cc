// ktests: ExecRegion allocates module-area memory, seals it per section, and
// never has a page that is writable and executable.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/patch/exec_region.h"
#include "ostd/patch/internal/testing.h"
#include "ostd/patch/internal/wx_walk.h"
#include "ostd/trap.h"
#include "ostd/vm/vm_io.h"

namespace ostd::patch {
namespace {

using mm::kPageSize;
using patch_internal::CallInRegion;

constexpr std::array<uint8_t, 6> kRet42 = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};  // mov $42; ret
constexpr uint64_t kRegionSize = 3 * kPageSize;
// Text on page 0, rodata on page 1, data on page 2.
constexpr std::array<Section, 3> kLayout = {{
    {0, kRet42.size(), SectionKind::kText},
    {kPageSize, 64, SectionKind::kRodata},
    {2 * kPageSize, 64, SectionKind::kData},
}};

// SAFETY (helpers): stores and fetches the tests expect to fault (CatchFault
// recovers) or that target pages of a region the test owns.
void Store(Vaddr va, uint8_t v) { *reinterpret_cast<volatile uint8_t*>(va) = v; }
uint8_t Load(Vaddr va) { return *reinterpret_cast<volatile const uint8_t*>(va); }
void CallAt(Vaddr va) { reinterpret_cast<void (*)()>(va)(); }

// The module area holds no W+X page; returns how many pages are mapped.
uint64_t ExpectNoWxInModuleArea(const char* step) {
  ktest_util::WalkCounts c = ktest_util::WalkModuleArea();
  EXPECT_EQ(c.writable_exec, 0u) << step << ": W+X page at " << c.first_wx;
  return c.mapped;
}

mm::PageFlags FlagsAt(Vaddr va) {
  std::optional<internal::Mapping> m = internal::KernelPageTable().Query(va);
  EXPECT_TRUE(m.has_value()) << "unmapped " << va;
  return m ? m->flags : mm::PageFlags{};
}

// Creates and releases one region so that page-table pages for the module
// area exist (they are not freed); frame counts are compared after this.
void WarmUp() {
  Result<ExecRegion> r = ExecRegion::Create(kRegionSize);
  EXPECT_TRUE(r.has_value());
}

TEST(ExecRegionTest, CreateMapsZeroedRwNxPagesWithAGuardPage) {
  WarmUp();
  Result<ExecRegion> r = ExecRegion::Create(kRegionSize - 100);
  ASSERT_TRUE(r.has_value());
  Vaddr base = r->base();
  EXPECT_EQ(base % kPageSize, 0u);
  EXPECT_GE(base, internal::kModuleBase);
  EXPECT_LE(base + kRegionSize, internal::kModuleEnd);
  EXPECT_EQ(r->size(), kRegionSize - 100);
  EXPECT_FALSE(r->sealed());
  for (uint64_t off = 0; off < kRegionSize; off += kPageSize) {
    mm::PageFlags f = FlagsAt(base + off);
    EXPECT_TRUE(f.writable);
    EXPECT_FALSE(f.executable);
    EXPECT_EQ(Load(base + off + 17), 0u);
  }
  EXPECT_FALSE(internal::KernelPageTable().Query(base + kRegionSize).has_value()) << "guard";
  Result<ExecRegion> next = ExecRegion::Create(kPageSize);
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->base() >= base + kRegionSize + kPageSize ||
              next->base() + 2 * kPageSize <= base)
      << "regions are separated by a guard page";
  ExpectNoWxInModuleArea("after create");
}

TEST(ExecRegionTest, WriteSealAndRunCode) {
  Result<ExecRegion> r = ExecRegion::Create(kRegionSize);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->Write(0, kRet42).has_value());
  ASSERT_TRUE(r->Write(kPageSize, std::array<uint8_t, 4>{1, 2, 3, 4}).has_value());
  ASSERT_TRUE(r->Write(2 * kPageSize + 8, std::array<uint8_t, 1>{0xc3}).has_value());  // ret
  ASSERT_TRUE(r->FillZeros(2 * kPageSize + 16, 48).has_value());
  ExpectNoWxInModuleArea("after write");
  EXPECT_EQ(CallInRegion<int>(*r, 0).error(), Errno::kEPERM) << "not sealed yet";
  EXPECT_EQ(r->CodeAddress(0).error(), Errno::kEPERM);

  ASSERT_TRUE(r->Seal(kLayout).has_value());
  EXPECT_TRUE(r->sealed());
  ExpectNoWxInModuleArea("after seal");

  Result<int> v = CallInRegion<int>(*r, 0);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 42);
  EXPECT_EQ(*r->CodeAddress(0), r->base());
  EXPECT_EQ(r->CodeAddress(kPageSize).error(), Errno::kEINVAL) << "rodata is not code";
  EXPECT_EQ(r->CodeAddress(kRegionSize).error(), Errno::kEINVAL);
  EXPECT_EQ(*r->Address(kPageSize + 1), r->base() + kPageSize + 1);
  EXPECT_EQ(r->Address(kRegionSize).error(), Errno::kEINVAL);

  // Text: R X.
  mm::PageFlags text = FlagsAt(r->base());
  EXPECT_TRUE(text.executable);
  EXPECT_FALSE(text.writable);
  // Rodata: R, NX, and a write faults.
  Vaddr ro = r->base() + kPageSize;
  mm::PageFlags rodata = FlagsAt(ro);
  EXPECT_FALSE(rodata.executable);
  EXPECT_FALSE(rodata.writable);
  EXPECT_EQ(Load(ro + 2), 3u);
  std::optional<FaultInfo> f = CatchFault([ro] { Store(ro, 9); });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorPageFault);
  EXPECT_EQ(f->address, ro);
  EXPECT_EQ(f->error_code & 3, 3u) << "write to a present read-only page";
  // Text: a raw write faults too.
  Vaddr code = r->base();
  f = CatchFault([code] { Store(code, 0xcc); });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->error_code & 3, 3u);
  // Data: RW, NX; writes work, executing it faults (instruction fetch).
  Vaddr data = r->base() + 2 * kPageSize;
  mm::PageFlags d = FlagsAt(data);
  EXPECT_TRUE(d.writable);
  EXPECT_FALSE(d.executable);
  EXPECT_FALSE(CatchFault([data] { Store(data, 5); }).has_value());
  EXPECT_EQ(Load(data), 5u);
  f = CatchFault([data] { CallAt(data + 8); });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorPageFault);
  EXPECT_EQ(f->address, data + 8);
  EXPECT_NE(f->error_code & 0x10, 0u) << "instruction fetch from an NX page";

  // The API refuses writes once sealed.
  EXPECT_EQ(r->Write(2 * kPageSize, kRet42).error(), Errno::kEPERM);
  EXPECT_EQ(r->FillZeros(0, 1).error(), Errno::kEPERM);
  EXPECT_EQ(r->Seal(kLayout).error(), Errno::kEPERM);
  EXPECT_EQ(CallInRegion<int>(*r, 0).value_or(0), 42) << "code unchanged";
  ExpectNoWxInModuleArea("after faults");
}

TEST(ExecRegionTest, FillFromAVmReader) {
  Result<ExecRegion> r = ExecRegion::Create(kPageSize + 10);
  ASSERT_TRUE(r.has_value());
  const uint8_t word[] = {0x44, 0x33, 0x22, 0x11};
  auto data = vm::VmReader<vm::Infallible>::FromSpan(word);
  ASSERT_TRUE(r->WriteFrom(16, data).has_value());
  EXPECT_FALSE(data.has_remain());
  vm::VmReader<vm::Infallible> code = vm::VmReader<vm::Infallible>::FromSpan(kRet42);
  // Out of range: nothing copied, the reader did not move.
  EXPECT_EQ(r->WriteFrom(kPageSize + 10 - 1, code).error(), Errno::kEINVAL);
  EXPECT_EQ(code.remain(), kRet42.size());
  ASSERT_TRUE(r->WriteFrom(0, code).has_value());
  EXPECT_FALSE(code.has_remain());
  EXPECT_EQ(Load(r->base() + 16), 0x44u);
  const Section text[] = {{0, kPageSize + 10, SectionKind::kText}};
  ASSERT_TRUE(r->Seal(text).has_value());
  EXPECT_EQ(CallInRegion<int>(*r, 0).value_or(0), 42);
  auto more = vm::VmReader<vm::Infallible>::FromSpan(kRet42);
  EXPECT_EQ(r->WriteFrom(0, more).error(), Errno::kEPERM);
  EXPECT_EQ(more.remain(), kRet42.size());
  ExpectNoWxInModuleArea("after WriteFrom");
}

std::atomic<uint32_t> remote_calls{0};
std::atomic<uint32_t> remote_wrong{0};

TEST(ExecRegionTest, OtherCpusRunTheSealedCode) {
  Result<ExecRegion> r = ExecRegion::Create(kPageSize);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->Write(0, kRet42).has_value());
  const Section text[] = {{0, kRet42.size(), SectionKind::kText}};
  ASSERT_TRUE(r->Seal(text).has_value());
  CpuSet others = internal::OnlineCpus();
  others.Remove(cpu::CurrentId());
  remote_calls = 0;
  remote_wrong = 0;
  internal::CallOnCpus(
      others,
      [](void* arg) {
        remote_calls.fetch_add(1);
        // SAFETY: `arg` is the ExecRegion below, alive until CallOnCpus returns.
        if (CallInRegion<int>(*static_cast<const ExecRegion*>(arg), 0).value_or(0) != 42) {
          remote_wrong.fetch_add(1);
        }
      },
      &*r);
  EXPECT_EQ(remote_calls.load(), others.count());
  EXPECT_EQ(remote_wrong.load(), 0u);
}

std::atomic<uint64_t> hook_calls{0};
std::atomic<uint64_t> hook_rw_nx_pages{0};

TEST(ExecRegionTest, ReleaseRestoresRwNxUnmapsAndFreesFrames) {
  WarmUp();
  uint64_t baseline = mm::GetFrameStats().free_frames;
  uint64_t mapped_before = ExpectNoWxInModuleArea("before");
  Vaddr base = 0;
  hook_calls = 0;
  hook_rw_nx_pages = 0;
  patch_internal::SetExecRegionReleaseHookForTest([](Vaddr b, uint64_t pages) {
    hook_calls.fetch_add(1);
    for (uint64_t i = 0; i < pages; ++i) {
      std::optional<internal::Mapping> m = internal::KernelPageTable().Query(b + i * kPageSize);
      if (m && m->flags.writable && !m->flags.executable) hook_rw_nx_pages.fetch_add(1);
    }
  });
  {
    Result<ExecRegion> r = ExecRegion::Create(kRegionSize);
    ASSERT_TRUE(r.has_value());
    base = r->base();
    EXPECT_EQ(mm::GetFrameStats().free_frames, baseline - 3);
    ASSERT_TRUE(r->Write(0, kRet42).has_value());
    ASSERT_TRUE(r->Seal(kLayout).has_value());
    EXPECT_EQ(ExpectNoWxInModuleArea("sealed"), mapped_before + 3);
    // Moving keeps one owner: the moved-from region releases nothing.
    ExecRegion moved = std::move(*r);
    EXPECT_EQ(r->base(), 0u);
    EXPECT_EQ(moved.base(), base);
    EXPECT_EQ(CallInRegion<int>(moved, 0).value_or(0), 42);
  }
  patch_internal::SetExecRegionReleaseHookForTest(nullptr);
  EXPECT_EQ(hook_calls.load(), 1u);
  EXPECT_EQ(hook_rw_nx_pages.load(), 3u) << "every page was RW NX before the unmap";
  for (uint64_t off = 0; off < kRegionSize; off += kPageSize) {
    EXPECT_FALSE(internal::KernelPageTable().Query(base + off).has_value());
  }
  EXPECT_EQ(mm::GetFrameStats().free_frames, baseline);
  EXPECT_EQ(ExpectNoWxInModuleArea("released"), mapped_before);
  // The virtual range is reusable.
  Result<ExecRegion> again = ExecRegion::Create(kRegionSize);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->base(), base);
}

TEST(ExecRegionTest, BadSectionsAreEinvalAndChangeNothing) {
  Result<ExecRegion> r = ExecRegion::Create(kRegionSize);
  ASSERT_TRUE(r.has_value());
  const Section overlap[] = {{0, 100, SectionKind::kText}, {50, 100, SectionKind::kRodata}};
  const Section out_of_range[] = {{2 * kPageSize, kPageSize + 1, SectionKind::kData}};
  const Section wraps[] = {{~uint64_t{0} - 8, 16, SectionKind::kData}};
  // Unaligned: text ends in the middle of page 0 and data starts right after.
  const Section text_and_data[] = {{0, 100, SectionKind::kText}, {100, 8, SectionKind::kData}};
  const Section rodata_and_data[] = {{kPageSize, 8, SectionKind::kRodata},
                                     {kPageSize + 8, 8, SectionKind::kData}};
  const std::span<const Section> bad[] = {overlap, out_of_range, wraps, text_and_data,
                                          rodata_and_data};
  for (std::span<const Section> s : bad) {
    EXPECT_EQ(r->Seal(s).error(), Errno::kEINVAL);
    EXPECT_FALSE(r->sealed());
  }
  mm::PageFlags f = FlagsAt(r->base());
  EXPECT_TRUE(f.writable && !f.executable) << "still RW NX";
  EXPECT_TRUE(r->Write(0, kRet42).has_value()) << "still writable through the API";
  EXPECT_EQ(r->Write(kRegionSize - 2, kRet42).error(), Errno::kEINVAL);
  EXPECT_EQ(r->FillZeros(kRegionSize, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(r->FillZeros(1, ~uint64_t{0}).error(), Errno::kEINVAL);
  ExpectNoWxInModuleArea("after bad seals");
}

TEST(ExecRegionTest, UnclaimedPagesBecomeReadOnly) {
  Result<ExecRegion> r = ExecRegion::Create(2 * kPageSize);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->Seal({}).has_value());
  for (uint64_t off = 0; off < 2 * kPageSize; off += kPageSize) {
    mm::PageFlags f = FlagsAt(r->base() + off);
    EXPECT_FALSE(f.writable);
    EXPECT_FALSE(f.executable);
  }
}

TEST(ExecRegionTest, ExhaustionIsEnomemAndLeaksNothing) {
  WarmUp();
  uint64_t baseline = mm::GetFrameStats().free_frames;
  uint64_t area = internal::kModuleEnd - internal::kModuleBase;
  EXPECT_EQ(ExecRegion::Create(area).error(), Errno::kENOMEM) << "no room for the guard page";
  EXPECT_EQ(ExecRegion::Create(area + kPageSize).error(), Errno::kENOMEM);
  EXPECT_EQ(ExecRegion::Create(~uint64_t{0}).error(), Errno::kENOMEM);
  // More pages than there is memory (the guest has far less than 1 GiB free).
  EXPECT_EQ(ExecRegion::Create(1ull << 30).error(), Errno::kENOMEM);
  EXPECT_EQ(ExecRegion::Create(0).error(), Errno::kEINVAL);
  EXPECT_EQ(mm::GetFrameStats().free_frames, baseline);
  ExpectNoWxInModuleArea("after exhaustion");
  Result<ExecRegion> ok = ExecRegion::Create(kPageSize);
  EXPECT_TRUE(ok.has_value()) << "the area is still usable";
}

}  // namespace
}  // namespace ostd::patch
