#include "kernel/fs/buffer_cache.h"

#include <array>

#include "gtest/gtest.h"

#include "ostd/util/span_copy.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

// An in-memory disk that counts calls and can fail on demand.
class RamDisk final : public BlockDevice {
 public:
  explicit RamDisk(bool ro = false) : ro_(ro) {}
  uint64_t sectors() const override { return bytes_.size() / 512; }
  bool read_only() const override { return ro_; }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    ++reads;
    if (fail_reads) return ostd::Err(Errno::kEIO);
    if ((sector * 512) + dst.size() > bytes_.size()) return ostd::Err(Errno::kEIO);
    ostd::CopyBytes(std::span<const uint8_t>(bytes_).subspan(sector * 512, dst.size()), dst);
    return {};
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    ++writes;
    if (fail_writes) return ostd::Err(Errno::kEIO);
    if ((sector * 512) + src.size() > bytes_.size()) return ostd::Err(Errno::kEIO);
    ostd::CopyBytes(src, std::span(bytes_).subspan(sector * 512, src.size()));
    if (nwritten < written_sectors.size()) written_sectors[nwritten++] = sector;
    return {};
  }
  ostd::Status Flush() override {
    ++flushes;
    return {};
  }
  std::array<uint8_t, 64 * 512> bytes_{};
  bool ro_;
  bool fail_reads = false, fail_writes = false;
  int reads = 0, writes = 0, flushes = 0;
  std::array<uint64_t, 8> written_sectors{};
  size_t nwritten = 0;
};

TEST(BufferCache, RejectsBadGeometry) {
  RamDisk disk;
  EXPECT_EQ(BufferCache::Create(disk, 1000, 4).error(), Errno::kEINVAL);
  EXPECT_EQ(BufferCache::Create(disk, 256, 4).error(), Errno::kEINVAL);
  EXPECT_EQ(BufferCache::Create(disk, 1 << 17, 4).error(), Errno::kEINVAL);
  EXPECT_EQ(BufferCache::Create(disk, 1024, 0).error(), Errno::kEINVAL);
  EXPECT_TRUE(BufferCache::Create(disk, 4096, 1).has_value());
}

TEST(BufferCache, ReadsThroughAndHits) {
  RamDisk disk;  // 32 KiB = 32 blocks of 1 KiB
  disk.bytes_[1024 * 3 + 5] = 0xab;
  BufferCache c = BufferCache::Create(disk, 1024, 4).value();
  EXPECT_EQ(c.blocks(), 32u);
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Read(3, 5, v));
  EXPECT_EQ(v[0], 0xab);
  ASSERT_TRUE(c.Read(3, 5, v));
  EXPECT_EQ(disk.reads, 1);
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().misses, 1u);
}

TEST(BufferCache, OutOfRangeIsError) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 1024, 4).value();
  std::array<uint8_t, 8> buf{};
  EXPECT_EQ(c.Read(32, 0, buf).error(), Errno::kEIO);
  EXPECT_EQ(c.Read(~uint64_t{0}, 0, buf).error(), Errno::kEIO);
  EXPECT_EQ(c.Read(0, 1020, buf).error(), Errno::kEINVAL);
  EXPECT_EQ(c.Read(0, 5000, std::span(buf).first(0)).error(), Errno::kEINVAL);
  EXPECT_EQ(c.Write(0, 1017, buf).error(), Errno::kEINVAL);
  EXPECT_TRUE(c.Read(0, 1016, buf));
}

TEST(BufferCache, WriteBackIsDeferredUntilSync) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 1024, 8).value();
  const uint8_t data[3] = {1, 2, 3};
  ASSERT_TRUE(c.Write(5, 100, data));
  ASSERT_TRUE(c.Write(2, 0, data));
  EXPECT_EQ(disk.writes, 0);
  EXPECT_EQ(disk.bytes_[5 * 1024 + 100], 0);
  EXPECT_EQ(c.dirty_count(), 2u);
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.bytes_[5 * 1024 + 101], 2);
  EXPECT_EQ(disk.bytes_[2 * 1024 + 2], 3);
  EXPECT_EQ(disk.flushes, 1);
  EXPECT_EQ(c.dirty_count(), 0u);
  // In block order.
  EXPECT_EQ(disk.nwritten, 2u);
  EXPECT_EQ(disk.written_sectors[0], 4u);
  EXPECT_EQ(disk.written_sectors[1], 10u);
  // Nothing left to write: a second sync only flushes.
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.writes, 2);
  EXPECT_EQ(disk.flushes, 2);
}

TEST(BufferCache, WholeBlockWriteSkipsRead) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 1024, 2).value();
  std::array<uint8_t, 1024> full;
  full.fill(7);
  ASSERT_TRUE(c.Write(1, 0, full));
  ASSERT_TRUE(c.Zero(2));
  EXPECT_EQ(disk.reads, 0);
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Read(1, 1023, v));
  EXPECT_EQ(v[0], 7);
}

TEST(BufferCache, EvictsLeastRecentlyUsedAndWritesItBack) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 1024, 2).value();
  std::array<uint8_t, 1024> one;
  one.fill(1);
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Write(0, 0, one, /*file_data=*/true));
  ASSERT_TRUE(c.Read(1, 0, v));
  ASSERT_TRUE(c.Read(0, 0, v));  // 1 is now the LRU
  ASSERT_TRUE(c.Read(2, 0, v));  // evicts 1 (clean)
  EXPECT_EQ(disk.writes, 0);
  ASSERT_TRUE(c.Read(3, 0, v));  // evicts 0 (dirty): written back
  EXPECT_EQ(disk.writes, 1);
  EXPECT_EQ(disk.bytes_[0], 1);
  EXPECT_EQ(c.stats().evictions, 2u);
  // Bounded: never more than two buffers.
  for (uint64_t b = 0; b < 32; ++b) ASSERT_TRUE(c.Read(b, 0, v));
  EXPECT_LE(c.stats().misses, 36u);
}

TEST(BufferCache, DeviceErrorsPropagateAndKeepDirtyData) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 1024, 1).value();
  std::array<uint8_t, 1> one{1}, v{};
  ASSERT_TRUE(c.Write(0, 0, one));
  disk.fail_writes = true;
  EXPECT_EQ(c.Sync().error(), Errno::kEIO);
  EXPECT_EQ(c.dirty_count(), 1u);
  // Eviction needs the write too: the read fails and the data stays.
  EXPECT_EQ(c.Read(1, 0, v).error(), Errno::kEIO);
  disk.fail_writes = false;
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.bytes_[0], 1);
  disk.fail_reads = true;
  EXPECT_EQ(c.Read(5, 0, v).error(), Errno::kEIO);
  disk.fail_reads = false;
  ASSERT_TRUE(c.Read(5, 0, v));
}

TEST(BufferCache, ReadOnlyDeviceRefusesWrites) {
  RamDisk disk(/*ro=*/true);
  BufferCache c = BufferCache::Create(disk, 1024, 2).value();
  std::array<uint8_t, 1> one{1};
  EXPECT_EQ(c.Write(0, 0, one).error(), Errno::kEROFS);
  EXPECT_EQ(c.Zero(0).error(), Errno::kEROFS);
}

TEST(BufferCache, RewritingTheSameBytesLeavesTheBufferClean) {
  RamDisk disk;
  disk.bytes_[3 * 512 + 9] = 5;
  BufferCache c = BufferCache::Create(disk, 512, 4).value();
  std::array<uint8_t, 1> same{5}, other{6};
  ASSERT_TRUE(c.Write(3, 9, same));  // not cached: read, then compared
  EXPECT_EQ(c.dirty_count(), 1u);    // a miss is written as asked
  ASSERT_TRUE(c.Sync());
  ASSERT_TRUE(c.Write(3, 9, same));
  EXPECT_EQ(c.dirty_count(), 0u);
  ASSERT_TRUE(c.Write(3, 9, other));
  EXPECT_EQ(c.dirty_count(), 1u);
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.bytes_[3 * 512 + 9], 6);
  EXPECT_EQ(disk.writes, 2);
}

TEST(BufferCache, SequentialMissesReadAhead) {
  RamDisk disk;  // 64 blocks of 512 bytes
  for (size_t i = 0; i < disk.bytes_.size(); ++i) disk.bytes_[i] = static_cast<uint8_t>(i / 512);
  BufferCache c = BufferCache::Create(disk, 512, 32).value();
  std::array<uint8_t, 1> v{};
  for (uint64_t b = 0; b < 64; ++b) {
    ASSERT_TRUE(c.Read(b, 7, v));
    EXPECT_EQ(v[0], b);
  }
  // Windows of 1, 2, 4, then 8 (a quarter of the cache) blocks.
  EXPECT_EQ(disk.reads, 3 + (64 - 7 + 7) / 8);
  EXPECT_EQ(c.stats().misses, 64u);
}

TEST(BufferCache, ScatteredMissesReadOneBlockEach) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 512, 32).value();
  std::array<uint8_t, 1> v{};
  for (uint64_t b : {10, 3, 20, 7, 40, 9}) ASSERT_TRUE(c.Read(b, 0, v));
  EXPECT_EQ(disk.reads, 6);
  EXPECT_EQ(c.stats().misses, 6u);
}

TEST(BufferCache, WriteBackSendsRunsOfConsecutiveBlocksAsOneRequest) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 512, 32).value();
  std::array<uint8_t, 512> full;
  for (uint64_t b : {11, 4, 5, 6, 7, 8, 9, 10, 20, 21}) {
    full.fill(static_cast<uint8_t>(b));
    ASSERT_TRUE(c.Write(b, 0, full));
  }
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.writes, 2);  // blocks 4..11, then 20..21
  EXPECT_EQ(disk.written_sectors[0], 4u);
  EXPECT_EQ(disk.written_sectors[1], 20u);
  for (uint64_t b : {4, 11, 20, 21}) EXPECT_EQ(disk.bytes_[b * 512 + 100], b);
  EXPECT_EQ(c.stats().writebacks, 10u);
  EXPECT_EQ(c.dirty_count(), 0u);
}

TEST(BufferCache, EvictingADirtyBlockTakesItsDirtySuccessorsAlong) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 512, 8).value();
  std::array<uint8_t, 512> full;
  full.fill(9);
  for (uint64_t b = 0; b < 8; ++b) ASSERT_TRUE(c.Write(b, 0, full, /*file_data=*/true));
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Read(30, 0, v));  // evicts block 0, the least recent
  EXPECT_EQ(disk.writes, 1);
  EXPECT_EQ(c.stats().writebacks, 8u);
  EXPECT_EQ(c.dirty_count(), 0u);
  EXPECT_EQ(disk.bytes_[7 * 512], 9);
}

TEST(BufferCache, EvictionLeavesPartlyWrittenBlocksForTheirOwnTurn) {
  // Metadata is not written early because a cold neighbour is evicted: only
  // file data joins the cluster.
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 512, 8).value();
  std::array<uint8_t, 512> full;
  full.fill(1);
  std::array<uint8_t, 4> part{2, 2, 2, 2};
  ASSERT_TRUE(c.Write(0, 0, full, true));
  ASSERT_TRUE(c.Write(1, 0, full, true));
  ASSERT_TRUE(c.Write(2, 100, part));  // metadata
  ASSERT_TRUE(c.Write(3, 0, full, true));
  for (uint64_t b = 4; b < 8; ++b) ASSERT_TRUE(c.Write(b, 0, full, true));
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Read(30, 0, v));  // evicts 0: 0 and 1 go, 2 stops the run
  EXPECT_EQ(disk.writes, 1);
  EXPECT_EQ(c.stats().writebacks, 2u);
  EXPECT_EQ(disk.bytes_[2 * 512 + 100], 0);  // not on the disk yet
  EXPECT_EQ(c.dirty_count(), 6u);
  ASSERT_TRUE(c.Sync());  // a sync writes everything, runs included
  EXPECT_EQ(disk.bytes_[2 * 512 + 100], 2);
  EXPECT_EQ(c.dirty_count(), 0u);
}

TEST(BufferCache, EvictionPassesOverDirtyMetadata) {
  RamDisk disk;
  BufferCache c = BufferCache::Create(disk, 512, 3).value();
  std::array<uint8_t, 4> part{7, 7, 7, 7};
  std::array<uint8_t, 1> v{};
  ASSERT_TRUE(c.Write(0, 8, part));  // least recent, but metadata
  ASSERT_TRUE(c.Read(1, 0, v));
  ASSERT_TRUE(c.Read(2, 0, v));
  ASSERT_TRUE(c.Read(3, 0, v));  // evicts 1 (clean), not 0
  EXPECT_EQ(disk.writes, 0);
  EXPECT_EQ(c.dirty_count(), 1u);
  // All dirty metadata: the least recent goes after all.
  ASSERT_TRUE(c.Write(2, 8, part));
  ASSERT_TRUE(c.Write(3, 8, part));
  ASSERT_TRUE(c.Read(4, 0, v));
  EXPECT_EQ(disk.writes, 1);
  EXPECT_EQ(disk.bytes_[8], 7);
}

TEST(BufferCache, ChurnAgreesWithAModel) {
  // Random reads and writes of 64 blocks through 5 buffers: every read sees
  // the last write, and after Sync the disk holds exactly the model.
  RamDisk disk;
  std::array<uint8_t, 64 * 512> model{};
  BufferCache c = BufferCache::Create(disk, 512, 5).value();
  uint64_t x = 12345;
  for (int step = 0; step < 20000; ++step) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t block = (x >> 8) % 64;
    size_t off = (x >> 20) % 512;
    if ((x & 3) == 0) {
      std::array<uint8_t, 1> w{static_cast<uint8_t>(x >> 40)};
      ASSERT_TRUE(c.Write(block, off, w));
      model[block * 512 + off] = w[0];
    } else {
      std::array<uint8_t, 1> r{};
      ASSERT_TRUE(c.Read(block, off, r));
      ASSERT_EQ(r[0], model[block * 512 + off]) << "step " << step;
    }
  }
  ASSERT_TRUE(c.Sync());
  EXPECT_EQ(disk.bytes_, model);
}

}  // namespace
}  // namespace kernel::fs
