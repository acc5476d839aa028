// ktests: frames, kernel page tables and the heap.
#include <new>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/internal/catch_fault.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/heap.h"
#include "ostd/smp/madt.h"
#include "ostd/trap.h"

extern "C" const char __text_start[], __text_end[], __rodata_start[];

namespace ostd {
namespace {

using internal::KernelPageTable;
using internal::KernelPageTableLock;
using mm::kPageSize;

// SAFETY (helpers): tests touch frames they own through the linear map, and
// kernel-virtual pages they mapped themselves.
uint64_t& WordAt(Vaddr va) { return *reinterpret_cast<uint64_t*>(va); }
uint64_t& FrameWord(Paddr p) { return WordAt(internal::PhysToVirt(p)); }
// A load the compiler must emit (the tests expect it to fault).
uint64_t Load(Vaddr va) { return *reinterpret_cast<volatile uint64_t*>(va); }

TEST(FrameTest, AllocAndFreeRestoreTheCount) {
  uint64_t before = mm::GetFrameStats().free_frames;
  Result<Paddr> f = mm::FrameAllocOptions().AllocOne();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f % kPageSize, 0u);
  EXPECT_EQ(mm::GetFrameStats().free_frames, before - 1);
  mm::FreeFrames(*f);
  EXPECT_EQ(mm::GetFrameStats().free_frames, before);
}

TEST(FrameTest, ZeroedFramesAreZero) {
  Result<Paddr> f = mm::FrameAllocOptions().zeroed(false).AllocOne();
  ASSERT_TRUE(f.has_value());
  for (uint64_t off = 0; off < kPageSize; off += 8) FrameWord(*f + off) = ~0ull;
  mm::FreeFrames(*f);
  // The allocator is next-fit from the last word: the same frame comes back.
  Result<Paddr> g = mm::FrameAllocOptions().zeroed(true).AllocOne();
  ASSERT_TRUE(g.has_value());
  for (uint64_t off = 0; off < kPageSize; off += 8) {
    ASSERT_EQ(FrameWord(*g + off), 0u) << "offset " << off;
  }
  mm::FreeFrames(*g);
}

TEST(FrameTest, ContiguousAllocationIsAligned) {
  Result<Paddr> seg = mm::FrameAllocOptions().AllocContiguous(16, 16);
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(*seg % (16 * kPageSize), 0u);
  mm::FreeFrames(*seg, 16);
}

TEST(FrameTest, BadContiguousRequestsAreEinval) {
  EXPECT_EQ(mm::FrameAllocOptions().AllocContiguous(0).error(), Errno::kEINVAL);
  EXPECT_EQ(mm::FrameAllocOptions().AllocContiguous(4, 3).error(), Errno::kEINVAL);
  EXPECT_EQ(mm::FrameAllocOptions().AllocContiguous(1ull << 40).error(), Errno::kENOMEM);
}

TEST(FrameTest, ExhaustionIsEnomemAndNothingIsHandedOutTwice) {
  uint64_t before = mm::GetFrameStats().free_frames;
  // Chain every frame we get through its first word; a frame handed out twice
  // would break the chain's count.
  Paddr head = 0;
  uint64_t count = 0;
  for (;;) {
    Result<Paddr> f = mm::FrameAllocOptions().zeroed(false).AllocOne();
    if (!f) {
      EXPECT_EQ(f.error(), Errno::kENOMEM);
      break;
    }
    FrameWord(*f) = head;
    head = *f;
    ++count;
  }
  EXPECT_EQ(count, before);
  EXPECT_EQ(mm::GetFrameStats().free_frames, 0u);
  uint64_t freed = 0;
  while (head != 0) {
    Paddr next = FrameWord(head);
    mm::FreeFrames(head);
    head = next;
    ++freed;
  }
  EXPECT_EQ(freed, count);
  EXPECT_EQ(mm::GetFrameStats().free_frames, before);
}

TEST(FrameMetaTest, UsagesAreRecorded) {
  Result<Paddr> f = mm::FrameAllocOptions().AllocOne();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(mm::GetFrameUsage(*f), mm::FrameUsage::kUntyped);
  EXPECT_EQ(mm::GetFrameRefcount(*f), 1u);
  mm::FreeFrames(*f);
  EXPECT_EQ(mm::GetFrameUsage(*f), mm::FrameUsage::kFree);
  // The kernel's root page table and the kernel image.
  EXPECT_EQ(mm::GetFrameUsage(KernelPageTable().root()), mm::FrameUsage::kPageTable);
  EXPECT_EQ(mm::GetFrameUsage(internal::KernelVirtToPhys(internal::KernelImageStart())),
            mm::FrameUsage::kReserved);
  EXPECT_EQ(mm::GetFrameUsage(0), mm::FrameUsage::kReserved);  // the first MiB
  // A heap block lives in a heap frame.
  uint64_t* block = new (std::nothrow) uint64_t[4];
  ASSERT_TRUE(block != nullptr);
  // SAFETY: the block's address, only translated.
  EXPECT_EQ(mm::GetFrameUsage(internal::VirtToPhys(reinterpret_cast<Vaddr>(block))),
            mm::FrameUsage::kHeap);
  delete[] block;
}

TEST(FrameMetaTest, UFrameHandlesShareAndFree) {
  uint64_t before = mm::GetFrameStats().free_frames;
  {
    Result<mm::UFrame> a = mm::UFrame::Alloc();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->refcount(), 1u);
    mm::UFrame b = *a;
    EXPECT_TRUE(b.SameFrame(*a));
    EXPECT_EQ(mm::FrameAccess::PaddrOf(b), mm::FrameAccess::PaddrOf(*a));
    EXPECT_EQ(a->refcount(), 2u);
    mm::UFrame c = std::move(b);
    EXPECT_EQ(a->refcount(), 2u);
    EXPECT_EQ(mm::GetFrameStats().free_frames, before - 1);
  }
  EXPECT_EQ(mm::GetFrameStats().free_frames, before);
  {
    Result<mm::USegment> seg = mm::USegment::Alloc(8, true, 8);
    ASSERT_TRUE(seg.has_value());
    EXPECT_EQ(mm::FrameAccess::PaddrOf(*seg) % (8 * kPageSize), 0u);
    EXPECT_EQ(seg->size(), 8 * kPageSize);
    EXPECT_EQ(mm::GetFrameStats().free_frames, before - 8);
  }
  EXPECT_EQ(mm::GetFrameStats().free_frames, before);
  EXPECT_EQ(mm::USegment::Alloc(0).error(), Errno::kEINVAL);
}

class PageTableTest : public ktest::Test {
 protected:
  void SetUp() override {
    Result<Vaddr> va = internal::AllocKernelVirtual(4 * kPageSize);
    ASSERT_TRUE(va.has_value());
    va_ = *va;
    Result<Paddr> f = mm::FrameAllocOptions().AllocOne();
    ASSERT_TRUE(f.has_value());
    frame_ = *f;
  }
  void TearDown() override {
    for (uint64_t off = 0; off < 4 * kPageSize; off += kPageSize) Unmap(va_ + off).IgnoreError();
    internal::FreeKernelVirtual(va_, 4 * kPageSize);
    mm::FreeFrames(frame_);
  }
  Status Map(Vaddr va, Paddr pa, mm::PageFlags f) {
    SpinLockGuard guard(KernelPageTableLock());
    return KernelPageTable().Map(va, pa, kPageSize, f);
  }
  Result<internal::Mapping> Unmap(Vaddr va) {
    SpinLockGuard guard(KernelPageTableLock());
    Result<internal::Mapping> m = KernelPageTable().Unmap(va);
    internal::FlushTlbPage(va);
    return m;
  }
  static constexpr mm::PageFlags kRw{.writable = true};
  Vaddr va_ = 0;
  Paddr frame_ = 0;
};

TEST_F(PageTableTest, MapWriteReadUnmap) {
  ASSERT_TRUE(Map(va_, frame_, kRw).has_value());
  WordAt(va_ + 8) = 0x1234567890abcdefull;
  EXPECT_EQ(FrameWord(frame_ + 8), 0x1234567890abcdefull);  // same frame via the linear map
  std::optional<internal::Mapping> m = KernelPageTable().Query(va_ + 8);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->paddr, frame_ + 8);
  EXPECT_EQ(m->page_size, kPageSize);
  EXPECT_TRUE(m->flags.writable);
  EXPECT_FALSE(m->flags.executable);
  Result<internal::Mapping> un = Unmap(va_);
  ASSERT_TRUE(un.has_value());
  EXPECT_EQ(un->paddr, frame_);
  EXPECT_FALSE(KernelPageTable().Query(va_).has_value());
  Vaddr va = va_;
  std::optional<FaultInfo> fault = CatchFault([va] { static_cast<void>(Load(va)); });
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->vector, kVectorPageFault);
  EXPECT_EQ(fault->address, va);
  EXPECT_EQ(fault->error_code & 1, 0u) << "not-present";
}

TEST_F(PageTableTest, FindNextMappedSkipsHoles) {
  ASSERT_TRUE(Map(va_ + 2 * kPageSize, frame_, kRw).has_value());
  std::optional<internal::PageTable::Found> f =
      KernelPageTable().FindNextMapped(va_, va_ + 4 * kPageSize);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vaddr, va_ + 2 * kPageSize);
  EXPECT_EQ(f->mapping.paddr, frame_);
  EXPECT_FALSE(KernelPageTable().FindNextMapped(va_, va_ + 2 * kPageSize).has_value());
  EXPECT_FALSE(KernelPageTable().FindNextMapped(va_ + 3 * kPageSize, va_ + 4 * kPageSize));
  // The first mapping of the linear map, found from far below it in one call.
  std::optional<internal::PageTable::Found> lin = KernelPageTable().FindNextMapped(
      0x0000700000000000ull, internal::kLinearMapBase + (1ull << 30));
  ASSERT_TRUE(lin.has_value());
  EXPECT_EQ(lin->vaddr, internal::kLinearMapBase);
  EXPECT_EQ(lin->mapping.paddr, 0u);
}

TEST_F(PageTableTest, DoubleMapIsEexist) {
  ASSERT_TRUE(Map(va_, frame_, kRw).has_value());
  EXPECT_EQ(Map(va_, frame_, kRw).error(), Errno::kEEXIST);
}

TEST_F(PageTableTest, BadAddressesAreEinval) {
  EXPECT_EQ(Map(va_ + 1, frame_, kRw).error(), Errno::kEINVAL);
  EXPECT_EQ(Map(va_, frame_ + 1, kRw).error(), Errno::kEINVAL);
  EXPECT_EQ(Map(0x0000900000000000ull, frame_, kRw).error(), Errno::kEINVAL);  // non-canonical
  SpinLockGuard guard(KernelPageTableLock());
  EXPECT_EQ(KernelPageTable().Map(va_, frame_, 12345, kRw).error(), Errno::kEINVAL);
}

TEST_F(PageTableTest, UnmapOfNothingIsEnoent) {
  EXPECT_EQ(Unmap(va_ + kPageSize).error(), Errno::kENOENT);
  SpinLockGuard guard(KernelPageTableLock());
  EXPECT_EQ(KernelPageTable().Protect(va_ + kPageSize, kRw).error(), Errno::kENOENT);
}

TEST_F(PageTableTest, ReadOnlyMappingFaultsOnWrite) {
  ASSERT_TRUE(Map(va_, frame_, kRw).has_value());
  {
    SpinLockGuard guard(KernelPageTableLock());
    ASSERT_TRUE(KernelPageTable().Protect(va_, mm::PageFlags{}).has_value());
    internal::FlushTlbPage(va_);
  }
  Vaddr va = va_;
  EXPECT_FALSE(CatchFault([va] { static_cast<void>(Load(va)); }).has_value()) << "reads work";
  std::optional<FaultInfo> fault =
      CatchFault([va] { *reinterpret_cast<volatile uint64_t*>(va) = 1; });
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->vector, kVectorPageFault);
  EXPECT_EQ(fault->error_code & 3, 3u) << "protection violation on write";
}

TEST(KernelMappingTest, NoPageIsWritableAndExecutable) {
  uint64_t text_pages = 0;
  for (Vaddr va = internal::KernelImageStart(); va < internal::KernelImageEnd(); va += kPageSize) {
    std::optional<internal::Mapping> m = KernelPageTable().Query(va);
    ASSERT_TRUE(m.has_value()) << "kernel page " << va << " unmapped";
    EXPECT_FALSE(m->flags.writable && m->flags.executable) << "W+X page at " << va;
    if (m->flags.executable) ++text_pages;
  }
  EXPECT_GT(text_pages, 0u);
  // SAFETY: addresses of linker symbols, only compared.
  Vaddr text = reinterpret_cast<Vaddr>(__text_start);
  Vaddr rodata = reinterpret_cast<Vaddr>(__rodata_start);
  EXPECT_TRUE(KernelPageTable().Query(text)->flags.executable);
  EXPECT_FALSE(KernelPageTable().Query(text)->flags.writable);
  EXPECT_FALSE(KernelPageTable().Query(rodata)->flags.writable);
  EXPECT_FALSE(KernelPageTable().Query(rodata)->flags.executable);
}

TEST(KernelMappingTest, WriteToKernelTextFaults) {
  // SAFETY: the write must fault (text is read-only); CatchFault recovers.
  Vaddr text = reinterpret_cast<Vaddr>(__text_start);
  std::optional<FaultInfo> fault =
      CatchFault([text] { *reinterpret_cast<volatile uint64_t*>(text) = 0; });
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->vector, kVectorPageFault);
  EXPECT_EQ(fault->error_code & 3, 3u);
}

TEST_F(PageTableTest, UnmapRangeSplitsALargePage) {
  // A 2 MiB-aligned window of kernel-virtual space and a write-back alias of
  // the RAM at 2 MiB (nothing is written through it).
  constexpr uint64_t kLarge = mm::kLargePageSize;
  Result<Vaddr> area = internal::AllocKernelVirtual(2 * kLarge);
  ASSERT_TRUE(area.has_value());
  Vaddr va = mm::AlignUp(*area, kLarge);
  constexpr Paddr kPa = 0x200000;
  {
    SpinLockGuard guard(KernelPageTableLock());
    ASSERT_TRUE(KernelPageTable().Map(va, kPa, kLarge, mm::PageFlags{}).has_value());
    // One page out of the middle: the rest stays, now as 4 KiB pages.
    ASSERT_TRUE(KernelPageTable().UnmapRange(va + kPageSize, va + 2 * kPageSize).has_value());
  }
  internal::FlushTlbPage(va);
  std::optional<internal::Mapping> before = KernelPageTable().Query(va);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->paddr, kPa);
  EXPECT_EQ(before->page_size, kPageSize);
  EXPECT_FALSE(before->flags.writable);
  EXPECT_FALSE(KernelPageTable().Query(va + kPageSize).has_value());
  std::optional<internal::Mapping> after = KernelPageTable().Query(va + kLarge - kPageSize);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->paddr, kPa + kLarge - kPageSize);
  EXPECT_EQ(Load(va + 8), FrameWord(kPa + 8)) << "same memory through the split page";
  {
    SpinLockGuard guard(KernelPageTableLock());
    EXPECT_EQ(KernelPageTable().UnmapRange(va + 1, va + kPageSize).error(), Errno::kEINVAL);
    EXPECT_EQ(KernelPageTable().UnmapRange(va + kPageSize, va).error(), Errno::kEINVAL);
    EXPECT_TRUE(KernelPageTable().UnmapRange(va, va + kLarge).has_value());
  }
  for (uint64_t off = 0; off < kLarge; off += kPageSize) internal::FlushTlbPage(va + off);
  EXPECT_FALSE(KernelPageTable().FindNextMapped(va, va + kLarge).has_value());
  internal::FreeKernelVirtual(*area, 2 * kLarge);
}

// SetLeafMark (how a TD marks shared pages): it splits the large page that
// holds the range, marks exactly the range, and the mark (here an address
// bit, as a TD's shared bit is) never shows in the addresses read back;
// Protect keeps it and clearing removes it. Nothing is accessed through the
// marked entry, which would fault on this CPU.
TEST_F(PageTableTest, SetLeafMarkSplitsMarksAndHidesTheMark) {
  constexpr uint64_t kLarge = mm::kLargePageSize;
  constexpr uint64_t kMark = uint64_t{1} << 47;
  // The split leaves a 4 KiB table in its 2 MiB slot, where no large page
  // can be mapped again: use the second aligned slot of the area, not the
  // first, which UnmapRangeSplitsALargePage maps after this test.
  Result<Vaddr> area = internal::AllocKernelVirtual(3 * kLarge);
  ASSERT_TRUE(area.has_value());
  Vaddr va = mm::AlignUp(*area, kLarge) + kLarge;
  constexpr Paddr kPa = 0x200000;
  auto entry = [](Vaddr v) { return KernelPageTable().LeafEntry(v); };
  {
    SpinLockGuard guard(KernelPageTableLock());
    ASSERT_TRUE(KernelPageTable().Map(va, kPa, kLarge, mm::PageFlags{}).has_value());
    ASSERT_TRUE(
        KernelPageTable().SetLeafMark(va + kPageSize, va + 3 * kPageSize, kMark, true).has_value());
  }
  for (uint64_t i = 0; i < 4; ++i) {
    std::optional<internal::Mapping> m = KernelPageTable().Query(va + i * kPageSize + 5);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->page_size, kPageSize) << "split";
    EXPECT_EQ(m->paddr, kPa + i * kPageSize + 5) << "page " << i;
    EXPECT_EQ((entry(va + i * kPageSize) & kMark) != 0, i == 1 || i == 2) << "page " << i;
  }
  std::optional<internal::PageTable::Found> f =
      KernelPageTable().FindNextMapped(va + kPageSize, va + 2 * kPageSize);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->mapping.paddr, kPa + kPageSize);
  {
    SpinLockGuard guard(KernelPageTableLock());
    ASSERT_TRUE(KernelPageTable().Protect(va + kPageSize, kRw).has_value());
    EXPECT_NE(entry(va + kPageSize) & kMark, 0u) << "Protect keeps the mark";
    EXPECT_TRUE(KernelPageTable().Query(va + kPageSize)->flags.writable);
    // Permission bits and PS are not marks; misaligned ranges are refused.
    EXPECT_EQ(KernelPageTable().SetLeafMark(va, va + kPageSize, mm::pte::kWritable, true).error(),
              Errno::kEINVAL);
    EXPECT_EQ(KernelPageTable().SetLeafMark(va + 1, va + kPageSize, kMark, true).error(),
              Errno::kEINVAL);
    ASSERT_TRUE(KernelPageTable()
                    .SetLeafMark(va + kPageSize, va + 3 * kPageSize, kMark, false)
                    .has_value());
    EXPECT_EQ(entry(va + kPageSize) & kMark, 0u);
    EXPECT_EQ(entry(va + 2 * kPageSize) & kMark, 0u);
    EXPECT_TRUE(KernelPageTable().UnmapRange(va, va + kLarge).has_value());
    // Nothing mapped there any more.
    EXPECT_EQ(KernelPageTable().SetLeafMark(va, va + kPageSize, kMark, true).error(),
              Errno::kENOENT);
  }
  for (uint64_t off = 0; off < kLarge; off += kPageSize) internal::FlushTlbPage(va + off);
  internal::FreeKernelVirtual(*area, 3 * kLarge);
}

TEST(KernelMappingTest, LinearMapHasNoDeviceAlias) {
  // The local APIC and every device range the ACPI tables list (IOAPICs,
  // HPET, ECAM, DMAR units) are mapped uncached by ostd, never write-back.
  auto mapped = [](Paddr base, uint64_t size) {
    Vaddr start = internal::PhysToVirt(mm::AlignDown(base, kPageSize));
    Vaddr end = internal::PhysToVirt(mm::AlignUp(base + size, kPageSize));
    return KernelPageTable().FindNextMapped(start, end).has_value();
  };
  EXPECT_FALSE(mapped(internal::LapicPaddr(), kPageSize));
  internal::LinearPhysMemory mem;
  std::optional<Paddr> rsdp = GetBootInfo().acpi_rsdp;
  if (!rsdp) rsdp = smp::ScanForRsdp(mem, 0xe0000, 0x20000);
  ASSERT_TRUE(rsdp.has_value());
  Result<smp::AcpiDeviceRanges> ranges = smp::FindAcpiDeviceRanges(mem, *rsdp);
  ASSERT_TRUE(ranges.has_value());
  EXPECT_GE(ranges->count, 2u) << "QEMU describes at least an IOAPIC and the HPET";
  for (uint32_t i = 0; i < ranges->count; ++i) {
    EXPECT_FALSE(mapped(ranges->ranges[i].base, ranges->ranges[i].size))
        << "device range at " << ranges->ranges[i].base;
  }
  // RAM right below the IOAPIC window stays mapped where firmware describes it.
  EXPECT_TRUE(mapped(0x100000, kPageSize));
}

TEST(KernelMappingTest, LinearMapIsNotExecutable) {
  // 2 MiB is RAM on every QEMU machine we boot: mapped in a large page.
  std::optional<internal::Mapping> m = KernelPageTable().Query(internal::PhysToVirt(0x200000));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->flags.executable);
  EXPECT_TRUE(m->flags.writable);
  EXPECT_GE(m->page_size, mm::kLargePageSize) << "linear map uses large pages";
}

TEST(KernelMappingTest, SmepAndSmapAreOnWhenSupported) {
  uint32_t ebx7 = arch::Cpuid(7, 0).ebx;
  uint64_t cr4 = arch::ReadCr4();
  if (ebx7 & (1u << 7)) EXPECT_NE(cr4 & arch::kCr4Smep, 0u);
  if (ebx7 & (1u << 20)) EXPECT_NE(cr4 & arch::kCr4Smap, 0u);
  EXPECT_NE(arch::ReadMsr(arch::kMsrEfer) & (1u << 11), 0u) << "NX enabled";
}

TEST(HeapTest, SmallAllocationsAreAlignedAndDistinct) {
  constexpr size_t kSizes[] = {1, 8, 16, 24, 100, 512, 2000};
  for (size_t size : kSizes) {
    char* a = new (std::nothrow) char[size];
    char* b = new (std::nothrow) char[size];
    ASSERT_TRUE(a != nullptr && b != nullptr);
    EXPECT_NE(a, b);
    // SAFETY: integer view of the pointers for alignment checks only.
    EXPECT_EQ(reinterpret_cast<uint64_t>(a) % 16, 0u) << "size " << size;
    for (size_t i = 0; i < size; ++i) a[i] = 'a';
    for (size_t i = 0; i < size; ++i) b[i] = 'b';
    EXPECT_EQ(a[size - 1], 'a');
    delete[] a;
    delete[] b;
  }
}

TEST(HeapTest, LargeAllocationRoundTripAndStats) {
  mm::HeapStats before = mm::GetHeapStats();
  uint64_t frames_before = mm::GetFrameStats().free_frames;
  constexpr size_t kSize = 64 * 1024 + 5;
  uint8_t* p = new (std::nothrow) uint8_t[kSize];
  ASSERT_TRUE(p != nullptr);
  for (size_t i = 0; i < kSize; ++i) p[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < kSize; i += 4099) ASSERT_EQ(p[i], static_cast<uint8_t>(i));
  EXPECT_EQ(mm::GetHeapStats().allocations, before.allocations + 1);
  EXPECT_EQ(mm::GetFrameStats().free_frames, frames_before - 17);
  delete[] p;
  EXPECT_EQ(mm::GetHeapStats().allocations, before.allocations);
  EXPECT_EQ(mm::GetHeapStats().allocated_bytes, before.allocated_bytes);
  EXPECT_EQ(mm::GetFrameStats().free_frames, frames_before);
}

TEST(HeapTest, ExhaustionReturnsNullptr) {
  uint64_t failed = mm::GetHeapStats().failed;
  uint8_t* p = new (std::nothrow) uint8_t[1ull << 40];
  EXPECT_TRUE(p == nullptr);
  EXPECT_EQ(mm::GetHeapStats().failed, failed + 1);
}

struct alignas(256) Aligned {
  uint8_t bytes[300];
};

TEST(HeapTest, OverAlignedTypesAreAligned) {
  Aligned* a = new (std::nothrow) Aligned;
  ASSERT_TRUE(a != nullptr);
  // SAFETY: integer view for the alignment check.
  EXPECT_EQ(reinterpret_cast<uint64_t>(a) % 256, 0u);
  delete a;
}

}  // namespace
}  // namespace ostd
