// ktests: the kernel's address-space bookkeeping (areas, demand paging,
// copy-on-write, brk, mremap) against real page tables.
#include <cstdint>

#include "kernel/process/address_space.h"
#include "ktest/ktest.h"
#include "ostd/mm/frame.h"
#include "ostd/task/task.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr uint32_t kRw = kProtRead | kProtWrite;
constexpr uint32_t kAnon = kMapPrivate | kMapAnonymous;

class AddressSpaceTest : public ktest::Test {
 public:
  void SetUp() override {
    InstallPageFaultHook();
    ostd::Result<ostd::RefPtr<MmHandle>> as = AddressSpace::Create();
    ASSERT_TRUE(as.has_value());
    handle_ = *std::move(as);
    mm_ = &handle_->space();
    ostd::SetCurrentVmSpace(mm_->vm_space_ref());
  }
  void TearDown() override {
    ostd::SetCurrentVmSpace(nullptr);
    mm_ = nullptr;
    handle_.Reset();
  }

 protected:
  int CountVmas() {
    int n = 0;
    mm_->ForEachVma([&](const Vma&) { ++n; });
    return n;
  }
  ostd::RefPtr<MmHandle> handle_;
  AddressSpace* mm_ = nullptr;
};

TEST_F(AddressSpaceTest, MapPlacesTopDownAndFixedRules) {
  ostd::Result<uint64_t> a = mm_->Map(0, 3 * kPageSize, kRw, kAnon, {}, 0);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, kMmapBase - 3 * kPageSize);
  ostd::Result<uint64_t> b = mm_->Map(0, kPageSize, kProtRead, kAnon, {}, 0);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, *a - kPageSize) << "the next area goes right below";
  // A free hint is honoured; a taken one is not.
  EXPECT_EQ(mm_->Map(0x10000000, kPageSize, kRw, kAnon, {}, 0).value(), 0x10000000u);
  EXPECT_NE(mm_->Map(0x10000000, kPageSize, kRw, kAnon, {}, 0).value(), 0x10000000u);
  // MAP_FIXED_NOREPLACE refuses an occupied range; MAP_FIXED replaces it.
  EXPECT_EQ(mm_->Map(*a, kPageSize, kRw, kAnon | kMapFixedNoReplace, {}, 0).error(),
            Errno::kEEXIST);
  EXPECT_EQ(mm_->Map(*a + kPageSize, kPageSize, kProtRead, kAnon | kMapFixed, {}, 0).value(),
            *a + kPageSize);
  // Below vm.mmap_min_addr: EPERM, as Linux.
  EXPECT_EQ(mm_->Map(0x1000, kPageSize, kRw, kAnon | kMapFixed, {}, 0).error(), Errno::kEPERM);
}

TEST_F(AddressSpaceTest, DemandPagingThroughUserCopies) {
  uint64_t a = mm_->Map(0, 4 * kPageSize, kRw, kAnon, {}, 0).value();
  EXPECT_FALSE(mm_->vm_space().Query(a).has_value()) << "nothing is mapped before use";
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(a + 2 * kPageSize), uint64_t{77}).has_value());
  EXPECT_TRUE(mm_->vm_space().Query(a + 2 * kPageSize).has_value());
  EXPECT_FALSE(mm_->vm_space().Query(a).has_value());
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(a)).value(), 0u) << "fresh pages read as zero";
  // Outside any area, and into a read-only one: EFAULT.
  EXPECT_EQ(CopyToUser(UserOutPtr<uint64_t>(a + 4 * kPageSize), uint64_t{1}).error(),
            Errno::kEFAULT);
  uint64_t ro = mm_->Map(0, kPageSize, kProtRead, kAnon, {}, 0).value();
  EXPECT_EQ(CopyToUser(UserOutPtr<uint64_t>(ro), uint64_t{1}).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(ro)).value(), 0u);
}

TEST_F(AddressSpaceTest, UnmapSplitsAndProtectNeedsFullCoverage) {
  uint64_t a = mm_->Map(0, 5 * kPageSize, kRw, kAnon, {}, 0).value();
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(a + 4 * kPageSize), uint64_t{5}).has_value());
  EXPECT_EQ(CountVmas(), 1);
  ASSERT_TRUE(mm_->Unmap(a + kPageSize, kPageSize).has_value());
  EXPECT_EQ(CountVmas(), 2);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(a + kPageSize)).error(), Errno::kEFAULT);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(a + 4 * kPageSize)).value(), 5u);
  // mprotect over the hole: ENOMEM and nothing changes.
  EXPECT_EQ(mm_->Protect(a, 3 * kPageSize, kProtRead).error(), Errno::kENOMEM);
  EXPECT_TRUE(CopyToUser(UserOutPtr<uint64_t>(a), uint64_t{1}).has_value());
  // Read-only then writable again: the data stays.
  ASSERT_TRUE(mm_->Protect(a + 2 * kPageSize, 3 * kPageSize, kProtRead).has_value());
  EXPECT_EQ(CopyToUser(UserOutPtr<uint64_t>(a + 4 * kPageSize), uint64_t{6}).error(),
            Errno::kEFAULT);
  ASSERT_TRUE(mm_->Protect(a + 2 * kPageSize, 3 * kPageSize, kRw).has_value());
  EXPECT_TRUE(CopyToUser(UserOutPtr<uint64_t>(a + 4 * kPageSize), uint64_t{6}).has_value());
  EXPECT_EQ(CountVmas(), 2) << "areas with equal rights merge again";
}

TEST_F(AddressSpaceTest, ForkIsCopyOnWrite) {
  uint64_t priv = mm_->Map(0, kPageSize, kRw, kAnon, {}, 0).value();
  ostd::Result<PageSourceRef> shm = NewSharedAnonymous(kPageSize);
  ASSERT_TRUE(shm.has_value());
  uint64_t shared =
      mm_->Map(0, kPageSize, kRw, kMapShared | kMapAnonymous, std::move(*shm), 0).value();
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(priv), uint64_t{1}).has_value());
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(shared), uint64_t{10}).has_value());
  uint64_t free_before = ostd::mm::GetFrameStats().free_frames;
  ostd::Result<ostd::RefPtr<MmHandle>> child = mm_->Fork();
  ASSERT_TRUE(child.has_value());
  EXPECT_LE(free_before - ostd::mm::GetFrameStats().free_frames, 8u)
      << "fork copies page tables, not pages";
  // The parent writes both; the child sees its own private copy but the
  // shared page's new value.
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(priv), uint64_t{2}).has_value());
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(shared), uint64_t{20}).has_value());
  ostd::SetCurrentVmSpace((*child)->space().vm_space_ref());
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(priv)).value(), 1u);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(shared)).value(), 20u);
  // The child's write breaks its copy too (now the only user: no copy needed).
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(priv), uint64_t{3}).has_value());
  ostd::SetCurrentVmSpace(mm_->vm_space_ref());
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(priv)).value(), 2u);
}

TEST_F(AddressSpaceTest, BrkGrowsAndShrinks) {
  mm_->InitBrk(0x600123);
  uint64_t start = 0x601000;
  EXPECT_EQ(mm_->Brk(0), start) << "brk(0) reports the current break";
  EXPECT_EQ(mm_->Brk(start + 10000), start + 10000);
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(start + 9992), uint64_t{9}).has_value());
  EXPECT_EQ(mm_->Brk(start + 100), start + 100);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(start + 9992)).error(), Errno::kEFAULT);
  EXPECT_EQ(mm_->Brk(start - kPageSize), start + 100) << "below the start: unchanged";
  // Growing into another mapping fails and leaves the break alone.
  ASSERT_TRUE(mm_->Map(start + 8 * kPageSize, kPageSize, kRw, kAnon | kMapFixed, {}, 0));
  EXPECT_EQ(mm_->Brk(start + 16 * kPageSize), start + 100);
}

TEST_F(AddressSpaceTest, RemapGrowsInPlaceOrMovesWithData) {
  uint64_t a = mm_->Map(0x20000000, 2 * kPageSize, kRw, kAnon, {}, 0).value();
  ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(a + kPageSize), uint64_t{42}).has_value());
  EXPECT_EQ(mm_->Remap(a, 2 * kPageSize, 4 * kPageSize, false).value(), a);
  ASSERT_TRUE(mm_->Map(a + 4 * kPageSize, kPageSize, kRw, kAnon | kMapFixed, {}, 0));
  EXPECT_EQ(mm_->Remap(a, 4 * kPageSize, 8 * kPageSize, false).error(), Errno::kENOMEM);
  ostd::Result<uint64_t> moved = mm_->Remap(a, 4 * kPageSize, 8 * kPageSize, true);
  ASSERT_TRUE(moved.has_value());
  EXPECT_NE(*moved, a);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(*moved + kPageSize)).value(), 42u);
  EXPECT_EQ(CopyFromUser(UserInPtr<uint64_t>(a + kPageSize)).error(), Errno::kEFAULT);
  EXPECT_EQ(mm_->Remap(0x30000000, kPageSize, 2 * kPageSize, true).error(), Errno::kEFAULT);
}

// A file's pages for the resident-set tests: one page cache frame per index.
class FakeFile final : public PageSource {
 public:
  ostd::Result<ostd::mm::UFrame> GetPage(uint64_t index, bool) override {
    if (index >= pages_.size()) return ostd::Err(Errno::kEIO);
    return pages_[index];
  }
  uint64_t Size() const override { return pages_.size() * kPageSize; }
  void Name(ostd::FormatSink& out) const override { out.Write("/fake"); }
  ostd::Status Fill(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      OSTD_TRY_ASSIGN(ostd::mm::UFrame f, ostd::mm::UFrame::Alloc());
      OSTD_TRY(pages_.Push(std::move(f)));
    }
    return {};
  }

 private:
  ostd::Vec<ostd::mm::UFrame> pages_;
};

// What the counters should say, from a walk over the areas and the page
// table (the slow way the counters replace).
struct Walked {
  uint64_t mapped = 0;
  AddressSpace::Rss rss;
};

Walked Walk(AddressSpace& mm) {
  Walked w;
  ostd::Vec<Vma> vmas;
  mm.ForEachVma([&](const Vma& v) {
    w.mapped += v.len();
    (void)vmas.Push(v);
  });
  for (const Vma& v : vmas) {
    for (uint64_t va = v.start; va < v.end;) {
      auto next = mm.vm_space().FindNextMapped(va, v.end);
      if (!next) break;
      if (next->second.flags.anonymous || !v.source) {
        w.rss.anon += kPageSize;
      } else if (v.source->IsShmem()) {
        w.rss.shmem += kPageSize;
      } else {
        w.rss.file += kPageSize;
      }
      va = next->first + kPageSize;
    }
  }
  return w;
}

// The counters agree with the walk, and give `anon`, `file` and `shmem` pages.
void ExpectRss(AddressSpace& mm, uint64_t anon, uint64_t file, uint64_t shmem, int line) {
  Walked w = Walk(mm);
  AddressSpace::Rss rss = mm.ResidentByKind();
  EXPECT_EQ(mm.MappedBytes(), w.mapped) << "VmSize, line " << line;
  EXPECT_EQ(rss.anon, w.rss.anon) << "anon counter against the walk, line " << line;
  EXPECT_EQ(rss.file, w.rss.file) << "file counter against the walk, line " << line;
  EXPECT_EQ(rss.shmem, w.rss.shmem) << "shmem counter against the walk, line " << line;
  EXPECT_EQ(rss.anon, anon * kPageSize) << "anon pages, line " << line;
  EXPECT_EQ(rss.file, file * kPageSize) << "file pages, line " << line;
  EXPECT_EQ(rss.shmem, shmem * kPageSize) << "shmem pages, line " << line;
  EXPECT_EQ(mm.ResidentBytes(), rss.total());
}
#define EXPECT_RSS(mm, anon, file, shmem) ExpectRss((mm), (anon), (file), (shmem), __LINE__)

void Touch(uint64_t addr, bool write) {
  if (write) {
    ASSERT_TRUE(CopyToUser(UserOutPtr<uint64_t>(addr), uint64_t{1}).has_value());
  } else {
    ASSERT_TRUE(CopyFromUser(UserInPtr<uint64_t>(addr)).has_value());
  }
}

TEST_F(AddressSpaceTest, ResidentCountsFollowFaultsAndUnmaps) {
  EXPECT_RSS(*mm_, 0, 0, 0);
  uint64_t a = mm_->Map(0, 8 * kPageSize, kRw, kAnon, {}, 0).value();
  EXPECT_EQ(mm_->MappedBytes(), 8 * kPageSize);
  EXPECT_RSS(*mm_, 0, 0, 0);
  for (uint64_t i = 0; i < 5; ++i) Touch(a + i * kPageSize, true);
  Touch(a + kPageSize, true);  // present already
  EXPECT_RSS(*mm_, 5, 0, 0);
  // munmap of a hole and two touched pages splits the area.
  ASSERT_TRUE(mm_->Unmap(a + 3 * kPageSize, 3 * kPageSize).has_value());
  EXPECT_EQ(CountVmas(), 2);
  EXPECT_RSS(*mm_, 3, 0, 0);
  // mprotect keeps the pages (and their kind); MAP_FIXED over them drops them.
  ASSERT_TRUE(mm_->Protect(a, 2 * kPageSize, kProtRead).has_value());
  EXPECT_RSS(*mm_, 3, 0, 0);
  ASSERT_TRUE(mm_->Map(a, kPageSize, kRw, kAnon | kMapFixed, {}, 0).has_value());
  EXPECT_RSS(*mm_, 2, 0, 0);
  ASSERT_TRUE(mm_->Unmap(a, 8 * kPageSize).has_value());
  EXPECT_RSS(*mm_, 0, 0, 0);
  EXPECT_EQ(mm_->MappedBytes(), 0u);
}

TEST_F(AddressSpaceTest, ResidentCountsSplitAnonFileAndShmem) {
  ostd::Result<ostd::RefPtr<FakeFile>> file = ostd::MakeRef<FakeFile>();
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE((*file)->Fill(4).has_value());
  ostd::Result<PageSourceRef> shm = NewSharedAnonymous(4 * kPageSize);
  ASSERT_TRUE(shm.has_value());
  // A private file mapping: reads map the file's pages, writes copy them
  // (anonymous from then on, as Linux's copy-on-write pages).
  uint64_t f = mm_->Map(0, 4 * kPageSize, kRw, kMapPrivate, PageSourceRef(*file), 0).value();
  Touch(f, false);
  Touch(f + kPageSize, false);
  EXPECT_RSS(*mm_, 0, 2, 0);
  Touch(f + kPageSize, true);      // copy-on-write of a present file page
  Touch(f + 2 * kPageSize, true);  // written before ever read
  EXPECT_RSS(*mm_, 2, 1, 0);
  // Shared anonymous memory is shmem, mapped shared or private.
  uint64_t s = mm_->Map(0, 4 * kPageSize, kRw, kMapShared, *shm, 0).value();
  Touch(s, true);
  Touch(s + kPageSize, false);
  uint64_t p = mm_->Map(0, 4 * kPageSize, kRw, kMapPrivate, *shm, 0).value();
  Touch(p, false);
  Touch(p + kPageSize, false);
  Touch(p + kPageSize, true);
  EXPECT_RSS(*mm_, 3, 1, 3);
  // mprotect of mixed pages keeps each one's kind; unmapping takes each off
  // its own counter.
  ASSERT_TRUE(mm_->Protect(f, 4 * kPageSize, kProtRead).has_value());
  ASSERT_TRUE(mm_->Protect(f, 4 * kPageSize, kRw).has_value());
  EXPECT_RSS(*mm_, 3, 1, 3);
  ASSERT_TRUE(mm_->Unmap(f, kPageSize).has_value());
  EXPECT_RSS(*mm_, 3, 0, 3);
  ASSERT_TRUE(mm_->Unmap(p, 4 * kPageSize).has_value());
  EXPECT_RSS(*mm_, 2, 0, 2);
  ASSERT_TRUE(mm_->Unmap(s, 4 * kPageSize).has_value());
  ASSERT_TRUE(mm_->Unmap(f, 4 * kPageSize).has_value());
  EXPECT_RSS(*mm_, 0, 0, 0);
}

TEST_F(AddressSpaceTest, ResidentCountsAcrossForkAndCopyOnWrite) {
  uint64_t a = mm_->Map(0, 6 * kPageSize, kRw, kAnon, {}, 0).value();
  for (uint64_t i = 0; i < 4; ++i) Touch(a + i * kPageSize, true);
  ostd::Result<PageSourceRef> shm = NewSharedAnonymous(2 * kPageSize);
  ASSERT_TRUE(shm.has_value());
  uint64_t s = mm_->Map(0, 2 * kPageSize, kRw, kMapShared, *shm, 0).value();
  Touch(s, true);
  EXPECT_RSS(*mm_, 4, 0, 1);
  ostd::Result<ostd::RefPtr<MmHandle>> child = mm_->Fork();
  ASSERT_TRUE(child.has_value());
  AddressSpace& c = (*child)->space();
  EXPECT_RSS(c, 4, 0, 1);
  // Copy-on-write swaps one anonymous page for another, in each space.
  Touch(a, true);
  EXPECT_RSS(*mm_, 4, 0, 1);
  ostd::SetCurrentVmSpace(c.vm_space_ref());
  Touch(a + kPageSize, true);
  Touch(a + 5 * kPageSize, true);
  EXPECT_RSS(c, 5, 0, 1);
  ASSERT_TRUE(c.Unmap(a, 2 * kPageSize).has_value());
  EXPECT_RSS(c, 3, 0, 1);
  ostd::SetCurrentVmSpace(mm_->vm_space_ref());
  EXPECT_RSS(*mm_, 4, 0, 1);
}

TEST_F(AddressSpaceTest, ResidentAndMappedCountsThroughRemapAndBrk) {
  uint64_t a = mm_->Map(0x20000000, 4 * kPageSize, kRw, kAnon, {}, 0).value();
  for (uint64_t i = 0; i < 3; ++i) Touch(a + i * kPageSize, true);
  EXPECT_RSS(*mm_, 3, 0, 0);
  // Growing in place, shrinking, moving: pages go with the area.
  EXPECT_EQ(mm_->Remap(a, 4 * kPageSize, 6 * kPageSize, false).value(), a);
  EXPECT_RSS(*mm_, 3, 0, 0);
  EXPECT_EQ(mm_->Remap(a, 6 * kPageSize, 2 * kPageSize, false).value(), a);
  EXPECT_RSS(*mm_, 2, 0, 0);
  uint64_t b = mm_->Remap(a, 2 * kPageSize, 5 * kPageSize, true, 0x30000000).value();
  EXPECT_EQ(b, 0x30000000u);
  EXPECT_RSS(*mm_, 2, 0, 0);
  // MREMAP_DONTUNMAP: the old area stays, empty.
  uint64_t d = mm_->Remap(b, 5 * kPageSize, 5 * kPageSize, true, 0x40000000, true).value();
  EXPECT_EQ(d, 0x40000000u);
  EXPECT_RSS(*mm_, 2, 0, 0);
  EXPECT_EQ(mm_->MappedBytes(), 10 * kPageSize);
  Touch(b, true);
  EXPECT_RSS(*mm_, 3, 0, 0);
  // brk: the heap's pages count as anonymous, and go with it.
  mm_->InitBrk(0x600000);
  EXPECT_EQ(mm_->Brk(0x600000 + 4 * kPageSize), 0x600000 + 4 * kPageSize);
  EXPECT_EQ(mm_->MappedBytes(), 14 * kPageSize);
  Touch(0x600000, true);
  Touch(0x600000 + 3 * kPageSize, true);
  EXPECT_RSS(*mm_, 5, 0, 0);
  EXPECT_EQ(mm_->Brk(0x600000 + kPageSize), 0x600000 + kPageSize);
  EXPECT_RSS(*mm_, 4, 0, 0);
  // The RLIMIT_AS check uses the running total: 11 pages mapped now.
  EXPECT_EQ(mm_->Map(0, 2 * kPageSize, kRw, kAnon, {}, 0, VmaKind::kNormal, 12 * kPageSize).error(),
            Errno::kENOMEM);
  EXPECT_TRUE(
      mm_->Map(0, kPageSize, kRw, kAnon, {}, 0, VmaKind::kNormal, 12 * kPageSize).has_value());
  EXPECT_RSS(*mm_, 4, 0, 0);
}

}  // namespace
}  // namespace kernel
