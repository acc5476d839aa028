// ktests: VmSpace creation, mapping, protection, TLB shootdown and SMAP.
#include <atomic>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/mm.h"
#include "ostd/internal/smp.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/trap.h"
#include "ostd/vm/internal/undirected_copy.h"
#include "ostd/vm/internal/vm_space_access.h"
#include "ostd/vm/internal/vm_test_util.h"
#include "ostd/vm/vm_space.h"

namespace ostd::vm {
namespace {

TEST(VmSpaceTest, CreateAndDestroyReturnEveryFrame) {
  uint64_t before = mm::GetFrameStats().free_frames;
  {
    Result<RefPtr<VmSpace>> s = VmSpace::Create();
    ASSERT_TRUE(s.has_value());
    for (uint64_t i = 0; i < 3; ++i) {
      Result<mm::UFrame> f = mm::UFrame::Alloc();
      ASSERT_TRUE(f.has_value());
      // Far apart, so each needs its own page-table pages.
      ASSERT_TRUE((*s)->Map(kUserBase + i * (1ull << 39), std::move(*f), {}).has_value());
    }
    EXPECT_LT(mm::GetFrameStats().free_frames, before);
    s->Reset();
  }
  EXPECT_EQ(mm::GetFrameStats().free_frames, before);
}

TEST(VmSpaceTest, KernelHalfIsShared) {
  Result<RefPtr<VmSpace>> s = VmSpace::Create();
  ASSERT_TRUE(s.has_value());
  static uint64_t kernel_word = 0x600d;
  (*s)->Activate();
  EXPECT_EQ(VmSpace::Current().get(), s->get());
  EXPECT_TRUE((*s)->active_cpus().Contains(internal::ThisCpu().cpu_id));
  kernel_word += 1;  // kernel data and stack stay mapped on the new page table
  EXPECT_EQ(kernel_word, 0x600eu);
  VmSpace::ActivateKernel();
  EXPECT_EQ(VmSpace::Current().get(), nullptr);
  EXPECT_TRUE((*s)->active_cpus().empty());
  s->Reset();
}

TEST(VmSpaceTest, DestroyingTheActiveSpaceSwitchesToKernel) {
  Result<RefPtr<VmSpace>> s = VmSpace::Create();
  ASSERT_TRUE(s.has_value());
  (*s)->Activate();
  s->Reset();
  EXPECT_EQ(VmSpace::Current().get(), nullptr);
  EXPECT_EQ(arch::ReadCr3() & mm::pte::kAddrMask, internal::KernelPageTable().root());
}

using VmSpaceMapTest = UserSpaceTest;

TEST_F(VmSpaceMapTest, MapQueryAndErrors) {
  Paddr f = MapPage(0, /*writable=*/false);
  ASSERT_NE(f, 0u);
  std::optional<VmMapping> m = space_->Query(kUserBase + 123);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(VmSpaceAccess::FrameOf(*space_, kUserBase + 123), f);
  EXPECT_TRUE(m->flags.user);
  EXPECT_FALSE(m->flags.writable);
  EXPECT_FALSE(m->flags.global);
  EXPECT_FALSE(space_->Query(kUserBase + kPage).has_value());
  EXPECT_FALSE(space_->Query(internal::kKernelVma).has_value());
  uint64_t free_before = mm::GetFrameStats().free_frames;
  {
    Result<mm::UFrame> g = mm::UFrame::Alloc();
    ASSERT_TRUE(g.has_value());
    // Each failed Map drops the copy it was given; `g` keeps the frame alive.
    EXPECT_EQ(space_->Map(kUserBase, *g, {}).error(), Errno::kEEXIST);
    EXPECT_EQ(space_->Map(kUserBase + 1, *g, {}).error(), Errno::kEINVAL);
    EXPECT_EQ(space_->Map(internal::kKvaBase, *g, {}).error(), Errno::kEINVAL);
    EXPECT_EQ(space_->Map(kUserSpaceEnd, *g, {}).error(), Errno::kEINVAL);
    EXPECT_EQ(g->refcount(), 1u);
  }
  EXPECT_EQ(mm::GetFrameStats().free_frames, free_before) << "failed maps leak nothing";
}

TEST_F(VmSpaceMapTest, ProtectMakesWritesFault) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 5u).has_value());
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{}).has_value());
  EXPECT_FALSE(space_->Query(kUserBase)->flags.writable);
  EXPECT_EQ(CopyToUser(UserPtr<uint32_t>(kUserBase), 6u).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase)).value(), 5u);
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.writable = true}).has_value());
  EXPECT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 6u).has_value());
  EXPECT_EQ(space_->Protect(kUserBase + 1, kPage, {}).error(), Errno::kEINVAL);
}

TEST_F(VmSpaceMapTest, ProtectKeepsTheAnonymousMark) {
  mm::UFrame f = mm::UFrame::Alloc().value();
  ASSERT_TRUE(
      space_->Map(kUserBase, f, mm::PageFlags{.writable = true, .anonymous = true}).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.anonymous);
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{}).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.anonymous) << "set by Map only";
  EXPECT_FALSE(space_->Query(kUserBase)->flags.writable);
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.inaccessible = true}).has_value());
  EXPECT_TRUE(space_->FindNextMapped(kUserBase, kUserBase + kPage)->second.flags.anonymous);
  EXPECT_TRUE(space_->QueryFrame(kUserBase)->second.anonymous);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  ASSERT_TRUE(space_->Map(kUserBase, f, mm::PageFlags{.writable = true}).has_value());
  EXPECT_FALSE(space_->Query(kUserBase)->flags.anonymous);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
}

TEST_F(VmSpaceMapTest, DirtyFollowsWritesUntilCleared) {
  mm::UFrame f = mm::UFrame::Alloc().value();
  ASSERT_TRUE(space_->Map(kUserBase, f, mm::PageFlags{.writable = true}).has_value());
  EXPECT_FALSE(space_->Query(kUserBase)->flags.dirty);
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase)).value(), 0u);
  EXPECT_FALSE(space_->Query(kUserBase)->flags.dirty) << "a read does not mark it";
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 3u).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.dirty) << "the MMU marks a write";
  // Protect keeps the mark; ClearDirty drops it and flushes the TLB, so the
  // next write marks the page again.
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.writable = true}).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.dirty);
  ASSERT_TRUE(space_->ClearDirty(kUserBase, 4 * kPage).has_value());  // holes are fine
  EXPECT_FALSE(space_->Query(kUserBase)->flags.dirty);
  EXPECT_FALSE(space_->FindNextMapped(kUserBase, kUserBase + kPage)->second.flags.dirty);
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 4u).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.dirty);
  // Map and Protect may mark a page themselves (a write fault's page).
  ASSERT_TRUE(space_->ClearDirty(kUserBase, kPage).has_value());
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.writable = true, .dirty = true})
                  .has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.dirty);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  ASSERT_TRUE(space_->Map(kUserBase, f, mm::PageFlags{.dirty = true}).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.dirty);
  EXPECT_FALSE(space_->Query(kUserBase)->flags.writable);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  EXPECT_EQ(space_->ClearDirty(kUserBase + 1, kPage).error(), Errno::kEINVAL);
  EXPECT_EQ(space_->ClearDirty(kUserSpaceEnd - kPage, 2 * kPage).error(), Errno::kEINVAL);
}

TEST_F(VmSpaceMapTest, UnmapFlushesAndReleasesFrames) {
  uint64_t before = mm::GetFrameStats().free_frames;
  for (uint64_t i = 0; i < 40; ++i) ASSERT_NE(MapPage(i), 0u);  // more than one batch
  ASSERT_TRUE(CopyToUser(UserPtr<uint64_t>(kUserBase + 39 * kPage), uint64_t{1}).has_value());
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase)).value(), 0u);  // now in the TLB
  uint64_t mapped = mm::GetFrameStats().free_frames;
  ASSERT_TRUE(space_->Unmap(kUserBase, 64 * kPage).has_value());  // includes holes
  EXPECT_EQ(mm::GetFrameStats().free_frames, mapped + 40);
  EXPECT_LE(before - mm::GetFrameStats().free_frames, 3u);  // page tables stay
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase)).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase + 39 * kPage)).error(), Errno::kEFAULT);
  EXPECT_EQ(space_->Unmap(kUserBase, 3).error(), Errno::kEINVAL);
  EXPECT_EQ(space_->Unmap(kUserSpaceEnd - kPage, 2 * kPage).error(), Errno::kEINVAL);
}

TEST_F(VmSpaceMapTest, InaccessiblePagesKeepTheirFrame) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.inaccessible = true}).has_value());
  std::optional<VmMapping> m = space_->Query(kUserBase);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(VmSpaceAccess::FrameOf(*space_, kUserBase), f);
  EXPECT_FALSE(m->flags.user) << "user mode cannot reach the page";
  EXPECT_TRUE(m->flags.inaccessible);
  // Not present to the MMU: the kernel's user copies fault too.
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase)).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyToUser(UserPtr<uint32_t>(kUserBase), 7u).error(), Errno::kEFAULT);
  ASSERT_TRUE(space_->FindNextMapped(kUserBase, kUserBase + kPage).has_value());
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, mm::PageFlags{.writable = true}).has_value());
  EXPECT_TRUE(space_->Query(kUserBase)->flags.user);
  EXPECT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 1u).has_value());
}

TEST_F(VmSpaceMapTest, QueryFrameSharesTheMappedFrame) {
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase + 8), 0xfeedu).has_value());
  {
    auto shared = space_->QueryFrame(kUserBase + 100);
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(mm::FrameAccess::PaddrOf(shared->first), f);
    EXPECT_TRUE(shared->second.writable);
    EXPECT_EQ(shared->first.refcount(), 2u) << "the mapping's reference and ours";
    // The handle reads what user space wrote, and a write through it shows up there.
    VmReader<Infallible> r = VmReader<Infallible>::FromFrame(shared->first);
    EXPECT_EQ(r.remain(), kPage);
    r.Skip(8);
    EXPECT_EQ(r.ReadVal<uint32_t>().value(), 0xfeedu);
    VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(shared->first);
    w.Skip(16);
    ASSERT_TRUE(w.WriteVal(uint64_t{42}).has_value());
    EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase + 16)).value(), 42u);
    // Unmapping drops the mapping's reference; ours and the two cursors' keep
    // the frame alive.
    ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
    EXPECT_EQ(shared->first.refcount(), 3u);
    EXPECT_EQ(mm::GetFrameUsage(f), mm::FrameUsage::kUntyped);
  }
  EXPECT_FALSE(space_->QueryFrame(kUserBase).has_value());
  EXPECT_FALSE(space_->QueryFrame(kUserSpaceEnd).has_value());
}

TEST_F(VmSpaceMapTest, FramesStayCachedRam) {
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  ASSERT_TRUE(f.has_value());
  mm::UFrame mine = *f;
  ASSERT_TRUE(
      space_->Map(kUserBase, std::move(*f), {.writable = true, .uncached = true, .device = true})
          .has_value());
  std::optional<VmMapping> m = space_->Query(kUserBase);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->flags.device) << "a frame mapped as device memory would never be freed";
  EXPECT_FALSE(m->flags.uncached) << "no uncached alias of the cached linear map";
  ASSERT_TRUE(space_->Protect(kUserBase, kPage, {.uncached = true, .device = true}).has_value());
  m = space_->Query(kUserBase);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->flags.device);
  EXPECT_FALSE(m->flags.uncached);
  EXPECT_EQ(mine.refcount(), 2u);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  EXPECT_EQ(mine.refcount(), 1u) << "the mapping's reference came back";
}

TEST_F(VmSpaceMapTest, MappedFrameOutlivesItsLastHandle) {
  Paddr f = MapPage(0);  // MapPage's handle is gone: only the mapping holds the frame
  ASSERT_NE(f, 0u);
  EXPECT_EQ(mm::GetFrameUsage(f), mm::FrameUsage::kUntyped);
  EXPECT_EQ(mm::GetFrameRefcount(f), 1u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint32_t>(kUserBase), 0xabcdu).has_value());
  EXPECT_EQ(CopyFromUser(UserPtr<uint32_t>(kUserBase)).value(), 0xabcdu);
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  EXPECT_EQ(mm::GetFrameRefcount(f), 0u) << "freed once unmapped and flushed";
}

TEST(VmIoOwnershipTest, FrameCursorKeepsItsFrame) {
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  ASSERT_TRUE(f.has_value());
  Paddr p = mm::FrameAccess::PaddrOf(*f);
  std::optional<VmWriter<Infallible>> w;
  std::optional<VmReader<Infallible>> r;
  {
    mm::UFrame frame = std::move(*f);
    w.emplace(VmWriter<Infallible>::FromFrame(frame));
    r.emplace(VmReader<Infallible>::FromFrame(frame));
    EXPECT_EQ(frame.refcount(), 3u);
  }  // the last handle goes; the cursors keep the frame
  EXPECT_EQ(mm::GetFrameRefcount(p), 2u);
  EXPECT_EQ(mm::GetFrameUsage(p), mm::FrameUsage::kUntyped);
  ASSERT_TRUE(w->WriteVal(uint64_t{0x1234}).has_value());
  EXPECT_EQ(r->ReadVal<uint64_t>().value(), 0x1234u);
  VmReader<Infallible> copy = *r;  // copies share the reference count too
  EXPECT_EQ(mm::GetFrameRefcount(p), 3u);
  w.reset();
  r.reset();
  EXPECT_EQ(mm::GetFrameRefcount(p), 1u);
}

TEST(VmIoOwnershipTest, MovedFromFrameGivesEmptyCursors) {
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  ASSERT_TRUE(f.has_value());
  mm::UFrame taken = std::move(*f);
  VmReader<Infallible> r = VmReader<Infallible>::FromFrame(*f);
  VmWriter<Infallible> w = VmWriter<Infallible>::FromFrame(*f);
  EXPECT_EQ(r.remain(), 0u);
  EXPECT_EQ(w.avail(), 0u);
  EXPECT_EQ(r.ReadVal<uint8_t>().error(), Errno::kEINVAL);
  EXPECT_EQ(w.WriteVal(uint8_t{1}).error(), Errno::kEINVAL);
  EXPECT_EQ(w.FillZeros(100), 0u);
  EXPECT_EQ(f->refcount(), 0u);
  EXPECT_FALSE(f->SameFrame(*f));
  EXPECT_TRUE(taken.SameFrame(taken));
  // A moved-from cursor is empty: the frame reference went with the move.
  VmWriter<Infallible> from = VmWriter<Infallible>::FromFrame(taken);
  VmWriter<Infallible> to = std::move(from);
  EXPECT_EQ(from.avail(), 0u);
  EXPECT_EQ(to.avail(), kPage);
  EXPECT_EQ(from.WriteVal(uint8_t{1}).error(), Errno::kEINVAL);
  VmWriter<Infallible> assigned = VmWriter<Infallible>::FromFrame(taken);
  assigned = std::move(to);
  EXPECT_EQ(to.avail(), 0u);
  EXPECT_EQ(assigned.avail(), kPage);
}

TEST(VmSpaceOwnershipTest, BoundSpaceOutlivesTheLastHandle) {
  std::atomic<int> failures{0};
  Result<TaskRef> t = Spawn([&] {
    Result<RefPtr<VmSpace>> s = VmSpace::Create();
    Result<mm::UFrame> f = mm::UFrame::Alloc();
    if (!s || !f) {
      failures.fetch_add(1000);
      return;
    }
    Paddr frame = mm::FrameAccess::PaddrOf(*f);
    if (!(*s)->Map(kUserBase, std::move(*f), mm::PageFlags{.writable = true})) {
      failures.fetch_add(1000);
      return;
    }
    SetCurrentVmSpace(*s);
    if ((*s)->ref_count() != 2) failures.fetch_add(100);  // ours and the task's
    s->Reset();  // the last handle outside the binding goes
    if (RefPtr<VmSpace> bound = VmSpace::Current(); bound == nullptr || bound->ref_count() != 2) {
      failures.fetch_add(100);  // the binding's reference and `bound`
    }
    if (!CopyToUser(UserPtr<uint64_t>(kUserBase), uint64_t{77})) failures.fetch_add(10);
    for (int i = 0; i < 5; ++i) {
      Yield();  // switched away and back: still there, still mapped
      Result<uint64_t> v = CopyFromUser(UserPtr<uint64_t>(kUserBase));
      if (!v || *v != 77) failures.fetch_add(1);
    }
    if (mm::GetFrameRefcount(frame) != 1) failures.fetch_add(10);
    SetCurrentVmSpace(nullptr);  // the binding was the last reference
    if (mm::GetFrameRefcount(frame) != 0) failures.fetch_add(10);
  });
  ASSERT_TRUE(t.has_value());
  (*t)->Join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(VmSpaceOwnershipTest, UserCursorKeepsItsSpace) {
  Result<RefPtr<VmSpace>> s = VmSpace::Create();
  ASSERT_TRUE(s.has_value());
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  ASSERT_TRUE(f.has_value());
  Paddr frame = mm::FrameAccess::PaddrOf(*f);
  ASSERT_TRUE((*s)->Map(kUserBase, std::move(*f), {}).has_value());
  (*s)->Activate();
  std::optional<VmReader<Fallible>> r;
  r.emplace(*(*s)->Reader(kUserBase, 8));
  VmSpace::ActivateKernel();
  EXPECT_EQ((*s)->ref_count(), 2u);
  s->Reset();  // the reader's reference is the last one
  EXPECT_EQ(mm::GetFrameRefcount(frame), 1u) << "the space and its mapping live on";
  EXPECT_EQ(r->ReadVal<uint64_t>().error(), Errno::kEFAULT) << "not active here";
  r.reset();
  EXPECT_EQ(mm::GetFrameRefcount(frame), 0u) << "destroyed with the last cursor";
}

// Capabilities cannot be minted from bytes (std::bit_cast, ReadVal, CopyFromUser).
static_assert(!std::is_trivially_copyable_v<VmReader<Fallible>>);
static_assert(!std::is_trivially_copyable_v<VmReader<Infallible>>);
static_assert(!std::is_trivially_copyable_v<VmWriter<Fallible>>);
static_assert(!std::is_trivially_copyable_v<VmWriter<Infallible>>);
static_assert(!std::is_trivially_copyable_v<mm::UFrame>);
static_assert(!std::is_trivially_copyable_v<mm::USegment>);
static_assert(!std::is_trivially_copyable_v<VmSpace>);
static_assert(!Pod<VmReader<Infallible>> && !Pod<mm::UFrame> && !Pod<UserPtr<uint8_t>>);
static_assert(!std::is_constructible_v<mm::UFrame, Paddr>);
static_assert(!std::is_constructible_v<VmReader<Infallible>, uint64_t, uint64_t, const VmSpace*>);

TEST_F(VmSpaceMapTest, FindNextMappedAndSparseUnmap) {
  Paddr a = MapPage(5);
  Paddr b = MapPage(1ull << 27);  // 512 GiB further: another PML4 slot
  ASSERT_TRUE(a != 0 && b != 0);
  auto first = space_->FindNextMapped(kUserBase, kUserSpaceEnd);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->first, kUserBase + 5 * kPage);
  EXPECT_EQ(VmSpaceAccess::FrameOf(*space_, first->first), a);
  auto second = space_->FindNextMapped(first->first + kPage, kUserSpaceEnd);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->first, kUserBase + (1ull << 27) * kPage);
  EXPECT_EQ(VmSpaceAccess::FrameOf(*space_, second->first), b);
  EXPECT_FALSE(space_->FindNextMapped(second->first + kPage, kUserSpaceEnd).has_value());
  // Unmapping the whole user half walks only what is mapped.
  uint64_t t0 = timer::NowNanos();
  ASSERT_TRUE(space_->Unmap(0, kUserSpaceEnd).has_value());
  EXPECT_LT(timer::NowNanos() - t0, 1'000'000'000u);
  EXPECT_FALSE(space_->FindNextMapped(0, kUserSpaceEnd).has_value());
}

// A user page stays protected by SMAP outside ostd's copy routines.
TEST_F(VmSpaceMapTest, SmapStillEnforcedForPlainKernelAccess) {
  if ((arch::Cpuid(7, 0).ebx & (1u << 20)) == 0) KTEST_SKIP("the CPU has no SMAP");
  ASSERT_NE(MapPage(0), 0u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint64_t>(kUserBase), uint64_t{77}).has_value());
  std::optional<FaultInfo> f = CatchFault([] {
    // SAFETY: a deliberate access to a mapped user page, caught by CatchFault.
    asm volatile("movq (%0), %%rax" : : "r"(kUserBase) : "rax");
  });
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->vector, kVectorPageFault);
  EXPECT_EQ(f->address, kUserBase);
  EXPECT_EQ(f->error_code & 1, 1u);  // a protection violation: the page is present
  EXPECT_EQ(CopyFromUser(UserPtr<uint64_t>(kUserBase)).value(), 77u);
}

// Remote shootdown: another CPU caches a translation, this CPU unmaps the
// page, and the other CPU must then fault on it.
struct RemoteCtx {
  VmSpace* space;
  Result<uint64_t> value = Err(Errno::kEINVAL);
};

void RemoteActivateAndRead(void* arg) {
  // SAFETY: arg is the RemoteCtx of the calling test, which waits for us.
  RemoteCtx& ctx = *static_cast<RemoteCtx*>(arg);
  ctx.space->Activate();
  ctx.value = CopyFromUser(UserPtr<uint64_t>(kUserBase));
}

void RemoteRead(void* arg) {
  // SAFETY: as above.
  RemoteCtx& ctx = *static_cast<RemoteCtx*>(arg);
  ctx.value = CopyFromUser(UserPtr<uint64_t>(kUserBase));
}

void RemoteDeactivate(void*) { VmSpace::ActivateKernel(); }

TEST_F(VmSpaceMapTest, UnmapShootsDownRemoteTlbs) {
  CpuSet others = internal::OnlineCpus();
  others.Remove(internal::ThisCpu().cpu_id);
  if (others.empty()) KTEST_SKIP("only one CPU online");
  uint32_t remote = 0;
  others.ForEach([&](uint32_t c) { remote = remote == 0 ? c : remote; });
  CpuSet one;
  one.Add(remote);
  Paddr f = MapPage(0);
  ASSERT_NE(f, 0u);
  ASSERT_TRUE(CopyToUser(UserPtr<uint64_t>(kUserBase), uint64_t{1234}).has_value());
  RemoteCtx ctx{space_.get()};
  internal::CallOnCpus(one, RemoteActivateAndRead, &ctx);
  ASSERT_TRUE(ctx.value.has_value());
  EXPECT_EQ(*ctx.value, 1234u);
  EXPECT_TRUE(space_->active_cpus().Contains(remote));
  ASSERT_TRUE(space_->Unmap(kUserBase, kPage).has_value());
  internal::CallOnCpus(one, RemoteRead, &ctx);
  EXPECT_EQ(ctx.value.error(), Errno::kEFAULT);
  internal::CallOnCpus(one, RemoteDeactivate, nullptr);
  EXPECT_FALSE(space_->active_cpus().Contains(remote));
}

}  // namespace
}  // namespace ostd::vm
