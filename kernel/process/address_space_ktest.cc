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

}  // namespace
}  // namespace kernel
