// ktests: virtio-blk on QEMU. The harness attaches fresh disks to every boot
// (drivers/virtio/BUILD): disk0 of 8 MiB and disk1 of 1 MiB, read-only; each
// sector N starts with "KEELDISK" and N (8 bytes, little-endian), and its
// byte i >= 16 is (N * 7 + i) & 0xff (ktest/harness.py, disk_pattern).
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "drivers/virtio/blk.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/task/task.h"
#include "ostd/util/vec.h"

namespace drivers::virtio {
namespace {

using ostd::Errno;

constexpr uint64_t kDisk0Sectors = 8 * 1024 * 1024 / 512;
constexpr uint64_t kDisk1Sectors = 1024 * 1024 / 512;

template <typename T>
Errno ErrorOf(const ostd::Result<T>& r) {
  return r.has_value() ? Errno{0} : r.error();
}

ostd::Vec<uint8_t> Bytes(size_t n) {
  ostd::Vec<uint8_t> v;
  if (!v.Resize(n).has_value()) return ostd::Vec<uint8_t>();
  return v;
}

// True if `s` holds the harness's pattern for sector `n`.
bool IsHostPattern(std::span<const uint8_t> s, uint64_t n) {
  if (s.size() != 512) return false;
  constexpr std::string_view kMagic = "KEELDISK";
  for (size_t i = 0; i < kMagic.size(); ++i) {
    if (s[i] != static_cast<uint8_t>(kMagic[i])) return false;
  }
  for (size_t i = 0; i < 8; ++i) {
    if (s[8 + i] != static_cast<uint8_t>(n >> (8 * i))) return false;
  }
  for (size_t i = 16; i < 512; ++i) {
    if (s[i] != static_cast<uint8_t>(n * 7 + i)) return false;
  }
  return true;
}

void Fill(std::span<uint8_t> s, uint64_t seed) {
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(seed * 31 + i * 17 + (i >> 9));
}

bool Matches(std::span<const uint8_t> s, uint64_t seed) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != static_cast<uint8_t>(seed * 31 + i * 17 + (i >> 9))) return false;
  }
  return true;
}

TEST(VirtioBlkTest, ProbesTheDiskAndItsCapacity) {
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0);
  ASSERT_TRUE(disk.has_value()) << ostd::ErrnoName(disk.error());
  EXPECT_EQ((*disk)->capacity(), kDisk0Sectors);
  EXPECT_FALSE((*disk)->read_only());
  EXPECT_GE((*disk)->max_requests(), 2u);
  // One owner: a second probe of the same function fails.
  EXPECT_EQ(ErrorOf(VirtioBlk::Probe(0)), Errno::kEBUSY);
  EXPECT_EQ(ErrorOf(VirtioBlk::Probe(2)), Errno::kENODEV);      // there are two disks
  EXPECT_EQ(ErrorOf(VirtioBlk::Probe(1, 63)), Errno::kEINVAL);  // CPU 63 is not online
}

TEST(VirtioBlkTest, ReadsWhatTheHostWrote) {
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0);
  ASSERT_TRUE(disk.has_value());
  ostd::Vec<uint8_t> buf = Bytes(512 * 4);
  ASSERT_EQ(buf.size(), 2048u);
  for (uint64_t start : {uint64_t{0}, uint64_t{1}, uint64_t{4095}, kDisk0Sectors - 4}) {
    ASSERT_TRUE((*disk)->Read(start, buf.span()).has_value()) << start;
    for (uint64_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(IsHostPattern(buf.span().subspan(512 * i, 512), start + i)) << start + i;
    }
  }
  EXPECT_GE((*disk)->interrupts(), 4u);
}

TEST(VirtioBlkTest, WritesAndReadsBackAcrossRequestBoundaries) {
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0);
  ASSERT_TRUE(disk.has_value());
  // 100 KiB: two requests (64 KiB at most each).
  constexpr size_t kLen = 100 * 1024;
  ostd::Vec<uint8_t> out = Bytes(kLen);
  ostd::Vec<uint8_t> in = Bytes(kLen);
  ASSERT_EQ(in.size(), kLen);
  Fill(out.span(), 5);
  ASSERT_TRUE((*disk)->Write(1000, out.span()).has_value());
  ASSERT_TRUE((*disk)->Flush().has_value());
  ASSERT_TRUE((*disk)->Read(1000, in.span()).has_value());
  EXPECT_TRUE(Matches(in.span(), 5));
  // The neighbours are untouched.
  ostd::Vec<uint8_t> edge = Bytes(512);
  ASSERT_TRUE((*disk)->Read(999, edge.span()).has_value());
  EXPECT_TRUE(IsHostPattern(edge.span(), 999));
  ASSERT_TRUE((*disk)->Read(1000 + kLen / 512, edge.span()).has_value());
  EXPECT_TRUE(IsHostPattern(edge.span(), 1000 + kLen / 512));
}

TEST(VirtioBlkTest, DataSurvivesReprobing) {
  ostd::Vec<uint8_t> out = Bytes(512);
  Fill(out.span(), 77);
  {
    ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0);
    ASSERT_TRUE(disk.has_value());
    ASSERT_TRUE((*disk)->Write(6000, out.span()).has_value());
    ASSERT_TRUE((*disk)->Flush().has_value());
  }  // reset, claim released
  ostd::Result<ostd::Box<VirtioBlk>> again = VirtioBlk::Probe(0);
  ASSERT_TRUE(again.has_value());
  ostd::Vec<uint8_t> in = Bytes(512);
  ASSERT_TRUE((*again)->Read(6000, in.span()).has_value());
  EXPECT_TRUE(Matches(in.span(), 77));
}

TEST(VirtioBlkTest, BadRequestsAreRefused) {
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0);
  ASSERT_TRUE(disk.has_value());
  ostd::Vec<uint8_t> buf = Bytes(1024);
  EXPECT_EQ((*disk)->Read(kDisk0Sectors - 1, buf.span()).error(), Errno::kEINVAL);
  EXPECT_EQ((*disk)->Write(kDisk0Sectors, buf.span().first(512)).error(), Errno::kEINVAL);
  EXPECT_EQ((*disk)->Read(0, buf.span().first(100)).error(), Errno::kEINVAL);
  EXPECT_EQ((*disk)->Read(0, std::span<uint8_t>()).error(), Errno::kEINVAL);
  EXPECT_EQ((*disk)->Read(~uint64_t{0}, buf.span()).error(), Errno::kEINVAL);
  // Nothing above broke the device.
  EXPECT_TRUE((*disk)->Read(0, buf.span().first(512)).has_value());
  EXPECT_TRUE(IsHostPattern(buf.span().first(512), 0));
}

TEST(VirtioBlkTest, ReadOnlyDiskRefusesWrites) {
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(1);
  ASSERT_TRUE(disk.has_value());
  EXPECT_TRUE((*disk)->read_only());
  EXPECT_EQ((*disk)->capacity(), kDisk1Sectors);
  ostd::Vec<uint8_t> buf = Bytes(512);
  EXPECT_EQ((*disk)->Write(0, buf.span()).error(), Errno::kEROFS);
  ASSERT_TRUE((*disk)->Read(kDisk1Sectors - 1, buf.span()).has_value());
  EXPECT_TRUE(IsHostPattern(buf.span(), kDisk1Sectors - 1));
}

TEST(VirtioBlkTest, ManyRequestsInFlightCompletedByMsixOnTheChosenCpu) {
  uint32_t cpu = ostd::cpu::Count() - 1;
  ostd::Result<ostd::Box<VirtioBlk>> disk = VirtioBlk::Probe(0, cpu);
  ASSERT_TRUE(disk.has_value());
  VirtioBlk* d = disk->get();
  constexpr int kTasks = 8;
  constexpr int kRounds = 12;
  constexpr size_t kLen = 8 * 512;
  std::atomic<int> failures{0};
  ostd::TaskGroup group;  // joined before `failures` and the disk go
  for (int t = 0; t < kTasks; ++t) {
    ostd::Result<ostd::TaskRef> task = group.Spawn([&disk, t, &failures] {
      VirtioBlk& dev = **disk;
      ostd::Vec<uint8_t> out = Bytes(kLen);
      ostd::Vec<uint8_t> in = Bytes(kLen);
      if (out.size() != kLen || in.size() != kLen) {
        failures.fetch_add(1);
        return;
      }
      for (int r = 0; r < kRounds; ++r) {
        uint64_t sector = 2048 + static_cast<uint64_t>(t) * 64 + static_cast<uint64_t>(r % 4) * 8;
        uint64_t seed = static_cast<uint64_t>(t) * 100 + static_cast<uint64_t>(r);
        Fill(out.span(), seed);
        if (!dev.Write(sector, out.span()).has_value() ||
            !dev.Read(sector, in.span()).has_value() || !Matches(in.span(), seed)) {
          failures.fetch_add(1);
        }
      }
    });
    ASSERT_TRUE(task.has_value());
  }
  group.Join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(d->max_in_flight_seen(), 2u) << "requests never overlapped";
  EXPECT_GE(d->interrupts(), 1u);
  EXPECT_EQ(d->last_interrupt_cpu(), cpu);
}

}  // namespace
}  // namespace drivers::virtio
