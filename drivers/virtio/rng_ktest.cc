// ktests: virtio-rng on QEMU (drivers/virtio/BUILD attaches one
// virtio-rng-pci device, backed by the host's /dev/urandom).
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <utility>

#include "drivers/virtio/rng.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/task/task.h"

namespace drivers::virtio {
namespace {

using ostd::Errno;

template <typename T>
Errno ErrorOf(const ostd::Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

bool AllZero(std::span<const uint8_t> s) {
  for (uint8_t b : s) {
    if (b != 0) return false;
  }
  return true;
}

// Fills all of `dst`, calling Read as often as it takes.
bool FillFrom(VirtioRng& rng, std::span<uint8_t> dst) {
  while (!dst.empty()) {
    ostd::Result<size_t> n = rng.Read(dst);
    if (!n.has_value() || *n == 0 || *n > dst.size()) return false;
    dst = dst.subspan(*n);
  }
  return true;
}

TEST(VirtioRngTest, ProbesOneOwnedDevice) {
  ostd::Result<ostd::Box<VirtioRng>> rng = VirtioRng::Probe(0);
  ASSERT_TRUE(rng.has_value()) << ostd::ErrnoName(rng.error());
  EXPECT_EQ(ErrorOf(VirtioRng::Probe(0)), Errno::kEBUSY);   // one owner at a time
  EXPECT_EQ(ErrorOf(VirtioRng::Probe(1)), Errno::kENODEV);  // there is one device
  rng = ostd::Err(Errno::kENODEV);
  // Dropping the driver resets the device and releases the claim.
  ostd::Result<ostd::Box<VirtioRng>> again = VirtioRng::Probe(0);
  ASSERT_TRUE(again.has_value()) << ostd::ErrnoName(again.error());
  std::array<uint8_t, 16> buf{};
  EXPECT_TRUE(FillFrom(**again, buf));
}

TEST(VirtioRngTest, CpuThatIsNotOnlineIsRefused) {
  EXPECT_EQ(ErrorOf(VirtioRng::Probe(0, 63)), Errno::kEINVAL);
}

TEST(VirtioRngTest, ReadsRandomBytesCompletedByAnInterrupt) {
  ostd::Result<ostd::Box<VirtioRng>> rng = VirtioRng::Probe(0);
  ASSERT_TRUE(rng.has_value());
  std::array<uint8_t, 64> a{}, b{};
  ASSERT_TRUE(FillFrom(**rng, a));
  ASSERT_TRUE(FillFrom(**rng, b));
  // 64 bytes from the host's urandom are all zero, or repeat, with
  // probability 2^-512.
  EXPECT_FALSE(AllZero(a));
  EXPECT_FALSE(AllZero(b));
  EXPECT_NE(a, b);
  EXPECT_GE((*rng)->requests(), 2u);
  EXPECT_GE((*rng)->interrupts(), 1u);
}

TEST(VirtioRngTest, EmptyAndOversizedReads) {
  ostd::Result<ostd::Box<VirtioRng>> rng = VirtioRng::Probe(0);
  ASSERT_TRUE(rng.has_value());
  std::span<uint8_t> none;
  ostd::Result<size_t> zero = (*rng)->Read(none);
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(*zero, 0u);
  // A request never asks for more than one page; the rest is the caller's
  // next Read.
  static std::array<uint8_t, VirtioRng::kMaxRead + 512> big;
  big.fill(0);
  ostd::Result<size_t> n = (*rng)->Read(big);
  ASSERT_TRUE(n.has_value()) << ostd::ErrnoName(n.error());
  EXPECT_GE(*n, 1u);
  EXPECT_LE(*n, VirtioRng::kMaxRead);
  for (size_t i = *n; i < big.size(); ++i) ASSERT_EQ(big[i], 0) << "byte " << i << " past the read";
}

TEST(VirtioRngTest, ConcurrentReadersAreServedInTurn) {
  ostd::Result<ostd::Box<VirtioRng>> rng = VirtioRng::Probe(0, ostd::cpu::Count() - 1);
  ASSERT_TRUE(rng.has_value());
  VirtioRng* r = rng->get();
  constexpr int kTasks = 4;
  constexpr int kRounds = 16;
  std::atomic<int> failures{0};
  ostd::TaskGroup group;  // joined before `failures` goes
  for (int t = 0; t < kTasks; ++t) {
    ostd::Result<ostd::TaskRef> task = group.Spawn([&rng, &failures] {
      VirtioRng& dev = **rng;
      for (int i = 0; i < kRounds; ++i) {
        std::array<uint8_t, 48> buf{};
        if (!FillFrom(dev, buf) || AllZero(buf)) failures.fetch_add(1);
      }
    });
    ASSERT_TRUE(task.has_value());
  }
  group.Join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(r->requests(), uint64_t{kTasks * kRounds});
}

}  // namespace
}  // namespace drivers::virtio
