// ktests: device memory mapped into a user address space (io::MapToUser).
#include "ktest/ktest.h"
#include "ostd/io/io_mem.h"
#include "ostd/io/pci.h"
#include "ostd/io/user_map.h"
#include "ostd/vm/internal/undirected_copy.h"
#include "ostd/vm/internal/vm_space_access.h"
#include "ostd/vm/internal/vm_test_util.h"
#include "ostd/vm/vm_space.h"

namespace ostd {
namespace {

using vm::VmSpace;
// Clear of the fixture's own pages at vm::kUserBase.
constexpr Vaddr kUserVa = 0x40000000;

// ivshmem-plain's BAR2: 1 MiB of RAM-backed device memory.
Result<IoMem<>> Shm() {
  OSTD_TRY_ASSIGN(pci::Device d, pci::FindDevice(0x1af4, 0x1110));
  return pci::AcquireBar(d, 2);
}

using UserMapTest = vm::UserSpaceTest;

TEST_F(UserMapTest, UserAccessReachesTheDevice) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value());
  ASSERT_TRUE(shm->WriteOnce<uint64_t>(0x1008, 0x1122334455667788ull).has_value());
  Paddr pa = shm->paddr();
  ASSERT_TRUE(io::MapToUser(*space_, kUserVa, std::move(*shm), /*writable=*/true).has_value());
  std::optional<vm::VmMapping> m = space_->Query(kUserVa + 0x1000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(vm::VmSpaceAccess::FrameOf(*space_, kUserVa + 0x1000), pa + 0x1000);
  EXPECT_TRUE(m->flags.device);
  EXPECT_TRUE(m->flags.uncached);
  EXPECT_FALSE(m->flags.executable);
  // Read and write the device through the user mapping.
  EXPECT_EQ(vm::CopyFromUser(vm::UserPtr<uint64_t>(kUserVa + 0x1008)).value(),
            0x1122334455667788ull);
  ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint64_t>(kUserVa + 0x2000), uint64_t{42}).has_value());
  // While mapped the range stays claimed; mprotect cannot make it cached.
  EXPECT_EQ(Shm().error(), Errno::kEBUSY);
  ASSERT_TRUE(space_->Protect(kUserVa, 0x1000, mm::PageFlags{}).has_value());
  EXPECT_TRUE(space_->Query(kUserVa)->flags.uncached);
  EXPECT_TRUE(space_->Query(kUserVa)->flags.device);
  // Unmapping part keeps the claim; unmapping the rest releases it.
  uint64_t frames = mm::GetFrameStats().free_frames;
  ASSERT_TRUE(space_->Unmap(kUserVa, 0x1000).has_value());
  EXPECT_EQ(Shm().error(), Errno::kEBUSY);
  ASSERT_TRUE(space_->Unmap(kUserVa, 1 << 20).has_value());
  EXPECT_EQ(mm::GetFrameStats().free_frames, frames) << "device pages are not frames";
  Result<IoMem<>> again = Shm();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->ReadOnce<uint64_t>(0x2000).value(), 42u);
}

TEST_F(UserMapTest, DestroyingTheSpaceReleasesTheDevice) {
  {
    Result<RefPtr<VmSpace>> other = VmSpace::Create();
    ASSERT_TRUE(other.has_value());
    Result<IoMem<>> shm = Shm();
    ASSERT_TRUE(shm.has_value());
    ASSERT_TRUE(io::MapToUser(**other, kUserVa, std::move(*shm), false).has_value());
    EXPECT_FALSE((*other)->Query(kUserVa)->flags.writable);
    EXPECT_EQ(Shm().error(), Errno::kEBUSY);
    other->Reset();
  }
  EXPECT_TRUE(Shm().has_value());
}

TEST_F(UserMapTest, Errors) {
  Result<IoMem<>> shm = Shm();
  ASSERT_TRUE(shm.has_value());
  // Misaligned user address: the IoMem comes back released.
  EXPECT_EQ(io::MapToUser(*space_, kUserVa + 8, std::move(*shm), true).error(), Errno::kEINVAL);
  EXPECT_TRUE(Shm().has_value());
  // A sub-page slice cannot be mapped on its own.
  Result<pci::Device> d = pci::FindDevice(0x1af4, 0x1110);
  ASSERT_TRUE(d.has_value());
  Result<IoMem<>> small = IoMem<>::Acquire(d->bars[2].base + 16, 64);
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(io::MapToUser(*space_, kUserVa, std::move(*small), true).error(), Errno::kEINVAL);
  // Kernel addresses and occupied ranges.
  Result<IoMem<>> a = Shm();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(io::MapToUser(*space_, 0xffff800000000000ull, std::move(*a), true).error(),
            Errno::kEINVAL);
  ASSERT_TRUE(space_->Map(kUserVa + 0x3000, *mm::UFrame::Alloc(), {}).has_value());
  Result<IoMem<>> b = Shm();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(io::MapToUser(*space_, kUserVa, std::move(*b), true).error(), Errno::kEEXIST);
  EXPECT_TRUE(Shm().has_value()) << "a failed map releases the IoMem";
}

}  // namespace
}  // namespace ostd
