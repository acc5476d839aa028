#include <array>
#include <string_view>

#include "gtest/gtest.h"

#include "kernel/fs/ext2/ext2.h"
#include "ostd/util/span_copy.h"
#include "tools/ext2/test_images.h"

namespace kernel::fs::ext2 {
namespace {

using ostd::Errno;

constexpr size_t kDiskBytes = 8 << 20;
constexpr uint32_t kNow = 1800000000;

// An 8 MiB in-memory disk holding a copy of an image.
class RamDisk final : public BlockDevice {
 public:
  void Load(std::span<const uint8_t> image) {
    ostd::CopyBytes(image, bytes);
    ro = false;
    fail = false;
    flushes = 0;
  }
  uint64_t sectors() const override { return kDiskBytes / 512; }
  bool read_only() const override { return ro; }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    if (fail) return ostd::Err(Errno::kEIO);
    if (sector * 512 + dst.size() > kDiskBytes) return ostd::Err(Errno::kEIO);
    ostd::CopyBytes(std::span<const uint8_t>(bytes).subspan(sector * 512, dst.size()), dst);
    return {};
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    if (fail) return ostd::Err(Errno::kEIO);
    if (sector * 512 + src.size() > kDiskBytes) return ostd::Err(Errno::kEIO);
    ostd::CopyBytes(src, std::span(bytes).subspan(sector * 512, src.size()));
    return {};
  }
  ostd::Status Flush() override {
    ++flushes;
    return {};
  }
  uint32_t Le32At(size_t off) const {
    return bytes[off] | (bytes[off + 1] << 8) | (bytes[off + 2] << 16) |
           (static_cast<uint32_t>(bytes[off + 3]) << 24);
  }
  void Put32At(size_t off, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) bytes[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void Put16At(size_t off, uint16_t v) {
    bytes[off] = static_cast<uint8_t>(v);
    bytes[off + 1] = static_cast<uint8_t>(v >> 8);
  }
  std::array<uint8_t, kDiskBytes> bytes{};
  bool ro = false;
  bool fail = false;
  int flushes = 0;
};

class Ext2Test : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    static RamDisk disk;
    disk_ = &disk;
    disk_->Load(GetParam() == 1024 ? testing::Image1k() : testing::Image4k());
  }
  Volume MountRw() { return Volume::Mount(*disk_, false, 64, kNow).value(); }
  // Byte offset of inode `ino` on the disk.
  size_t InodeByte(uint32_t ino) {
    uint32_t bs = GetParam();
    size_t gdt = (bs == 1024 ? 2 : 1) * size_t{bs};
    uint32_t ipg = disk_->Le32At(1024 + 40);
    uint32_t isz = disk_->bytes[1024 + 88] | (disk_->bytes[1024 + 89] << 8);
    uint32_t g = (ino - 1) / ipg;
    uint32_t table = disk_->Le32At(gdt + 32 * g + 8);
    return size_t{table} * bs + size_t{(ino - 1) % ipg} * isz;
  }
  RamDisk* disk_ = nullptr;
};

std::string_view View(const std::array<char, 256>& buf, size_t n) {
  return std::string_view(std::span<const char>(buf).first(n));
}

// "file_with_a_long_name_<i>" in `buf`.
std::string_view FileName(std::array<char, 64>& buf, int i) {
  constexpr std::string_view kPrefix = "file_with_a_long_name_";
  size_t n = 0;
  for (char c : kPrefix) buf[n++] = c;
  std::array<char, 8> digits{};
  size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  while (d > 0) buf[n++] = digits[--d];
  return std::string_view(std::span<const char>(buf).first(n));
}

TEST_P(Ext2Test, MountsMke2fsImage) {
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  const Superblock& sb = v.superblock();
  EXPECT_EQ(sb.block_size, GetParam());
  EXPECT_EQ(uint64_t{sb.blocks_count} * sb.block_size, kDiskBytes);
  EXPECT_EQ(sb.inode_size, 256u);
  EXPECT_NE(sb.feature_incompat & kIncompatFiletype, 0u);
  Inode root = v.GetInode(kRootIno).value();
  EXPECT_TRUE(root.is_dir());
  EXPECT_GE(root.links, 5u);  // ., .., lost+found, dir, empty
}

TEST_P(Ext2Test, ReadsFilesByteForByte) {
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  uint32_t hello = v.Lookup(kRootIno, "hello.txt").value();
  Inode in = v.GetInode(hello).value();
  EXPECT_TRUE(in.is_reg());
  EXPECT_EQ(in.mode & 07777, 0640u);
  EXPECT_EQ(in.size, 12u);
  EXPECT_EQ(in.links, 2u);
  EXPECT_EQ(v.Lookup(kRootIno, "hard.txt").value(), hello);
  std::array<uint8_t, 64> buf{};
  EXPECT_EQ(v.Read(hello, 0, buf).value(), 12u);
  EXPECT_EQ(buf[0], 'h');
  EXPECT_EQ(buf[11], '\n');
  EXPECT_EQ(v.Read(hello, 12, buf).value(), 0u);
  EXPECT_EQ(v.Read(hello, 1000, buf).value(), 0u);

  uint32_t dir = v.Lookup(kRootIno, "dir").value();
  uint32_t nested = v.Lookup(dir, "nested").value();
  uint32_t deep = v.Lookup(nested, "deep.txt").value();
  EXPECT_EQ(v.Read(deep, 0, buf).value(), 10u);
  EXPECT_EQ(buf[0], 'd');
  EXPECT_EQ(v.Lookup(nested, "..").value(), dir);

  // 300 KiB crossing the direct, single and (at 1 KiB) double indirect blocks.
  uint32_t big = v.Lookup(kRootIno, "big.bin").value();
  EXPECT_EQ(v.GetInode(big).value().size, 300u * 1024);
  std::array<uint8_t, 4000> chunk{};
  size_t mismatches = 0;
  for (uint64_t off = 0; off < 300 * 1024; off += chunk.size()) {
    size_t n = v.Read(big, off, chunk).value();
    for (size_t i = 0; i < n; ++i) mismatches += chunk[i] != (off + i) % 251 ? 1 : 0;
  }
  EXPECT_EQ(mismatches, 0u);

  // A hole then data (triple indirect at 1 KiB).
  uint32_t sparse = v.Lookup(kRootIno, "sparse.bin").value();
  Inode sp = v.GetInode(sparse).value();
  EXPECT_EQ(sp.size, 70u * 1024 * 1024 + 4096);
  EXPECT_LT(sp.blocks, 64u);
  std::array<uint8_t, 16> tail{};
  tail.fill(0xff);
  ASSERT_EQ(v.Read(sparse, 1 << 20, tail).value(), 16u);
  for (uint8_t b : tail) EXPECT_EQ(b, 0);
  ASSERT_EQ(v.Read(sparse, 70u * 1024 * 1024 + 100, tail).value(), 16u);
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_EQ(tail[i], ((100 + i) * 7) % 256);
}

TEST_P(Ext2Test, SymlinksAndReadDir) {
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  std::array<char, 256> buf{};
  uint32_t s = v.Lookup(kRootIno, "short_link").value();
  EXPECT_TRUE(v.GetInode(s).value().is_fast_symlink());
  EXPECT_EQ(View(buf, v.ReadLink(s, buf).value()), "hello.txt");
  uint32_t l = v.Lookup(kRootIno, "long_link").value();
  EXPECT_FALSE(v.GetInode(l).value().is_fast_symlink());
  size_t n = v.ReadLink(l, buf).value();
  EXPECT_EQ(n, 107u);
  EXPECT_EQ(View(buf, n).substr(100), "/target");
  EXPECT_EQ(v.ReadLink(kRootIno, buf).error(), Errno::kEINVAL);

  class Names final : public DirVisitor {
   public:
    bool Visit(std::string_view name, uint32_t, uint8_t type, uint64_t) override {
      ++count;
      if (name == "dir") dir_type = type;
      if (name == "short_link") link_type = type;
      return true;
    }
    int count = 0;
    uint8_t dir_type = 0, link_type = 0;
  } names;
  uint64_t end = v.ReadDir(kRootIno, 0, names).value();
  EXPECT_EQ(names.count, 11);  // . .. lost+found hello hard dir empty big sparse 2 links
  EXPECT_EQ(names.dir_type, kFtDir);
  EXPECT_EQ(names.link_type, kFtSymlink);
  Names again;
  EXPECT_EQ(v.ReadDir(kRootIno, end, again).value(), end);
  EXPECT_EQ(again.count, 0);
}

TEST_P(Ext2Test, LookupErrors) {
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  EXPECT_EQ(v.Lookup(kRootIno, "missing").error(), Errno::kENOENT);
  uint32_t hello = v.Lookup(kRootIno, "hello.txt").value();
  EXPECT_EQ(v.Lookup(hello, "x").error(), Errno::kENOTDIR);
  std::array<char, 300> long_name{};
  long_name.fill('a');
  EXPECT_EQ(v.Lookup(kRootIno, std::string_view(std::span<const char>(long_name))).error(),
            Errno::kENAMETOOLONG);
  EXPECT_EQ(v.GetInode(0).error(), Errno::kEIO);
  EXPECT_EQ(v.GetInode(v.superblock().inodes_count + 1).error(), Errno::kEIO);
  std::array<uint8_t, 8> buf{};
  EXPECT_EQ(v.Read(kRootIno, 0, buf).error(), Errno::kEISDIR);
}

TEST_P(Ext2Test, ReadOnlyRefusesWrites) {
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  std::array<uint8_t, 1> one{1};
  uint32_t hello = v.Lookup(kRootIno, "hello.txt").value();
  EXPECT_EQ(v.Write(hello, 0, one, kNow).error(), Errno::kEROFS);
  EXPECT_EQ(v.Create(kRootIno, "n", kIfreg | 0644, 0, 0, 0, 0, kNow).error(), Errno::kEROFS);
  EXPECT_EQ(v.Unlink(kRootIno, "hello.txt", kNow).error(), Errno::kEROFS);
  EXPECT_EQ(v.Truncate(hello, 0, kNow).error(), Errno::kEROFS);
}

TEST_P(Ext2Test, WriteReadTruncateAndFreeAgain) {
  Volume v = MountRw();
  uint32_t free_blocks = v.superblock().free_blocks;
  uint32_t free_inodes = v.superblock().free_inodes;
  uint32_t f = v.Create(kRootIno, "new.bin", kIfreg | 0600, 1000, 1000, 0, 0, kNow).value();
  EXPECT_EQ(v.superblock().free_inodes, free_inodes - 1);
  // Far enough to need triple indirect blocks at 1 KiB, leaving a hole.
  uint64_t far = 80ull << 20;
  std::array<uint8_t, 5000> data{};
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  ASSERT_EQ(v.Write(f, 100, data, kNow).value(), data.size());
  ASSERT_EQ(v.Write(f, far, data, kNow).value(), data.size());
  Inode in = v.GetInode(f).value();
  EXPECT_EQ(in.size, far + data.size());
  EXPECT_EQ(in.mtime, kNow);
  EXPECT_EQ(in.uid, 1000u);
  std::array<uint8_t, 5000> back{};
  ASSERT_EQ(v.Read(f, far, back).value(), back.size());
  EXPECT_EQ(back, data);
  ASSERT_EQ(v.Read(f, 100, back).value(), back.size());
  EXPECT_EQ(back, data);
  ASSERT_EQ(v.Read(f, 40000, back).value(), back.size());  // hole
  for (uint8_t b : back) EXPECT_EQ(b, 0);

  // Shrink into the first run: the tail of the last block reads as zeros
  // after growing again.
  ASSERT_TRUE(v.Truncate(f, 150, kNow));
  EXPECT_EQ(v.GetInode(f).value().size, 150u);
  ASSERT_TRUE(v.Truncate(f, 3000, kNow));
  std::array<uint8_t, 100> mid{};
  ASSERT_EQ(v.Read(f, 100, mid).value(), 100u);
  EXPECT_EQ(mid[49], data[49]);
  EXPECT_EQ(mid[50], 0);

  ASSERT_EQ(v.Unlink(kRootIno, "new.bin", kNow).value(), f);
  EXPECT_EQ(v.GetInode(f).value().links, 0u);
  ASSERT_TRUE(v.Release(f, kNow));
  EXPECT_EQ(v.superblock().free_blocks, free_blocks);
  EXPECT_EQ(v.superblock().free_inodes, free_inodes);
  EXPECT_EQ(v.Lookup(kRootIno, "new.bin").error(), Errno::kENOENT);
}

TEST_P(Ext2Test, DirectoryOperations) {
  Volume v = MountRw();
  uint32_t free_blocks = v.superblock().free_blocks;
  uint32_t root_links = v.GetInode(kRootIno).value().links;
  uint32_t d = v.Mkdir(kRootIno, "d", 0755, 0, 0, kNow).value();
  EXPECT_EQ(v.GetInode(kRootIno).value().links, root_links + 1);
  EXPECT_EQ(v.Lookup(d, "..").value(), kRootIno);
  EXPECT_EQ(v.Lookup(d, ".").value(), d);
  EXPECT_EQ(v.Mkdir(kRootIno, "d", 0755, 0, 0, kNow).error(), Errno::kEEXIST);
  // Enough names to need several directory blocks.
  std::array<char, 64> name{};
  for (int i = 0; i < 200; ++i) {
    std::string_view n = FileName(name, i);
    ASSERT_TRUE(v.Create(d, n, kIfreg | 0644, 0, 0, 0, 0, kNow).has_value()) << i;
  }
  EXPECT_GT(v.GetInode(d).value().size, GetParam());
  EXPECT_EQ(v.Rmdir(kRootIno, "d", kNow).error(), Errno::kENOTEMPTY);
  EXPECT_EQ(v.Unlink(kRootIno, "d", kNow).error(), Errno::kEISDIR);
  uint32_t f7 = v.Lookup(d, "file_with_a_long_name_7").value();
  // Hard links; not to directories.
  ASSERT_TRUE(v.Link(kRootIno, "f7", f7, kNow));
  EXPECT_EQ(v.GetInode(f7).value().links, 2u);
  EXPECT_EQ(v.Link(kRootIno, "dlink", d, kNow).error(), Errno::kEPERM);
  EXPECT_EQ(v.Link(kRootIno, "f7", f7, kNow).error(), Errno::kEEXIST);
  // Rename over an existing file drops its link.
  uint32_t f8 = v.Lookup(d, "file_with_a_long_name_8").value();
  EXPECT_EQ(v.Rename(d, "file_with_a_long_name_8", kRootIno, "f7", kNow).value(), f7);
  EXPECT_EQ(v.Lookup(kRootIno, "f7").value(), f8);
  EXPECT_EQ(v.GetInode(f7).value().links, 1u);
  EXPECT_EQ(v.Lookup(d, "file_with_a_long_name_8").error(), Errno::kENOENT);
  // Directories: into a sibling (".." follows), not under itself.
  uint32_t e = v.Mkdir(kRootIno, "e", 0700, 0, 0, kNow).value();
  uint32_t sub = v.Mkdir(e, "sub", 0700, 0, 0, kNow).value();
  EXPECT_EQ(v.Rename(kRootIno, "e", sub, "x", kNow).error(), Errno::kEINVAL);
  EXPECT_EQ(v.Rename(e, "sub", d, "file_with_a_long_name_9", kNow).error(), Errno::kENOTDIR);
  EXPECT_EQ(v.Rename(d, "file_with_a_long_name_9", kRootIno, "e", kNow).error(), Errno::kEISDIR);
  uint32_t e_links = v.GetInode(e).value().links;
  uint32_t d_links = v.GetInode(d).value().links;
  ASSERT_EQ(v.Rename(e, "sub", d, "moved", kNow).value(), 0u);
  EXPECT_EQ(v.Lookup(sub, "..").value(), d);
  EXPECT_EQ(v.GetInode(e).value().links, e_links - 1);
  EXPECT_EQ(v.GetInode(d).value().links, d_links + 1);
  // Symlinks, fast and slow.
  uint32_t s1 = v.Symlink(kRootIno, "s1", "d/moved", 0, 0, kNow).value();
  std::array<char, 200> long_buf{};
  long_buf.fill('y');
  std::string_view long_target(std::span<const char>(long_buf).first(200));
  uint32_t s2 = v.Symlink(kRootIno, "s2", long_target, 0, 0, kNow).value();
  std::array<char, 256> buf{};
  EXPECT_EQ(View(buf, v.ReadLink(s1, buf).value()), "d/moved");
  EXPECT_EQ(View(buf, v.ReadLink(s2, buf).value()), long_target);
  EXPECT_EQ(v.Symlink(kRootIno, "s3", "", 0, 0, kNow).error(), Errno::kENOENT);
  // Empty directories go; links drop back.
  ASSERT_TRUE(v.Rmdir(kRootIno, "e", kNow).has_value());
  EXPECT_EQ(v.Rmdir(d, "file_with_a_long_name_1", kNow).error(), Errno::kENOTDIR);
  EXPECT_EQ(v.Rmdir(d, ".", kNow).error(), Errno::kEINVAL);
  ASSERT_TRUE(v.Release(e, kNow));
  // Empty the directory and remove everything: the blocks come back.
  for (int i = 0; i < 200; ++i) {
    std::string_view n = FileName(name, i);
    if (i == 8) continue;
    uint32_t ino = v.Unlink(d, n, kNow).value();
    if (v.GetInode(ino).value().links == 0) ASSERT_TRUE(v.Release(ino, kNow));
  }
  uint32_t moved = v.Rmdir(d, "moved", kNow).value();
  ASSERT_TRUE(v.Release(moved, kNow));
  ASSERT_TRUE(v.Rmdir(kRootIno, "d", kNow).has_value());
  ASSERT_TRUE(v.Release(d, kNow));
  for (std::string_view n : {"f7", "s1", "s2"}) {
    uint32_t ino = v.Unlink(kRootIno, n, kNow).value();
    ASSERT_TRUE(v.Release(ino, kNow));
  }
  EXPECT_EQ(v.GetInode(kRootIno).value().links, root_links);
  EXPECT_EQ(v.superblock().free_blocks, free_blocks);
}

TEST_P(Ext2Test, SyncPersistsAcrossRemount) {
  {
    Volume v = MountRw();
    uint32_t f = v.Create(kRootIno, "persist", kIfreg | 0644, 0, 0, 0, 0, kNow).value();
    std::array<uint8_t, 3> abc{'a', 'b', 'c'};
    ASSERT_TRUE(v.Write(f, 0, abc, kNow).has_value());
    int before = disk_->flushes;
    ASSERT_TRUE(v.Sync(true));
    EXPECT_EQ(disk_->flushes, before + 1);
    EXPECT_EQ(disk_->bytes[1024 + 58], 1);  // state: clean
  }
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  uint32_t f = v.Lookup(kRootIno, "persist").value();
  std::array<uint8_t, 8> buf{};
  ASSERT_EQ(v.Read(f, 0, buf).value(), 3u);
  EXPECT_EQ(buf[2], 'c');
}

TEST_P(Ext2Test, WritesStayInCacheUntilSync) {
  Volume v = MountRw();
  uint32_t f = v.Lookup(kRootIno, "hello.txt").value();
  std::array<uint8_t, 1> z{'Z'};
  ASSERT_TRUE(v.Write(f, 0, z, kNow).has_value());
  Volume other = Volume::Mount(*disk_, true, 16, kNow).value();
  std::array<uint8_t, 1> seen{};
  ASSERT_TRUE(other.Read(f, 0, seen).has_value());
  EXPECT_EQ(seen[0], 'h');
  ASSERT_TRUE(v.Sync(false));
  Volume third = Volume::Mount(*disk_, true, 16, kNow).value();
  ASSERT_TRUE(third.Read(f, 0, seen).has_value());
  EXPECT_EQ(seen[0], 'Z');
}

TEST_P(Ext2Test, FullDiskIsEnospc) {
  Volume v = MountRw();
  uint32_t f = v.Create(kRootIno, "fill", kIfreg | 0644, 0, 0, 0, 0, kNow).value();
  std::array<uint8_t, 65536> chunk{};
  uint64_t off = 0;
  ostd::Result<size_t> r = size_t{0};
  for (int i = 0; i < 200; ++i) {
    r = v.Write(f, off, chunk, kNow);
    if (!r) break;
    off += *r;
  }
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errno::kENOSPC);
  EXPECT_EQ(v.superblock().free_blocks, 0u);
  uint32_t free_inodes = v.superblock().free_inodes;
  EXPECT_EQ(v.Mkdir(kRootIno, "nodir", 0755, 0, 0, kNow).error(), Errno::kENOSPC);
  EXPECT_EQ(v.superblock().free_inodes, free_inodes);
  EXPECT_EQ(v.Lookup(kRootIno, "nodir").error(), Errno::kENOENT);
  ASSERT_TRUE(v.Truncate(f, 0, kNow));
  EXPECT_GT(v.superblock().free_blocks, 1000u);
}

TEST_P(Ext2Test, CorruptSuperblockIsRefused) {
  disk_->Put16At(1024 + 56, 0x1234);  // magic
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEINVAL);
  disk_->Put16At(1024 + 56, kMagic);
  disk_->Put32At(1024 + 24, 9);  // log block size
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEINVAL);
  disk_->Put32At(1024 + 24, GetParam() == 1024 ? 0 : 2);
  uint32_t ipg = disk_->Le32At(1024 + 40);
  disk_->Put32At(1024 + 40, 0);
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEINVAL);
  disk_->Put32At(1024 + 40, ipg);
  disk_->Put32At(1024 + 96, 0x40 | kIncompatFiletype);  // extents
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEINVAL);
  disk_->Put32At(1024 + 96, kIncompatFiletype);
  uint32_t blocks = disk_->Le32At(1024 + 4);
  disk_->Put32At(1024 + 4, blocks * 2);  // larger than the disk
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEINVAL);
  disk_->Put32At(1024 + 4, blocks);
  disk_->Put32At(1024 + 100, 0x400 | kRoCompatSparseSuper);  // metadata_csum
  EXPECT_EQ(Volume::Mount(*disk_, false, 16, kNow).error(), Errno::kEINVAL);
  EXPECT_TRUE(Volume::Mount(*disk_, true, 16, kNow).has_value());
}

TEST_P(Ext2Test, CorruptMetadataIsEio) {
  size_t gdt = (GetParam() == 1024 ? 2 : 1) * size_t{GetParam()};
  uint32_t table = disk_->Le32At(gdt + 8);
  disk_->Put32At(gdt + 8, 0xfffffff0);  // inode table out of range
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEIO);
  disk_->Put32At(gdt + 8, table);

  uint32_t hello, big;
  {
    Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
    hello = v.Lookup(kRootIno, "hello.txt").value();
    big = v.Lookup(kRootIno, "big.bin").value();
  }
  // A direct block pointer past the end.
  disk_->Put32At(InodeByte(hello) + 40, 0x7fffffff);
  // An indirect block pointer inside the file system whose entries are out
  // of range: point big.bin's single indirect block at a block of 0xff.
  uint32_t ind = disk_->Le32At(InodeByte(big) + 40 + 4 * 12);
  for (size_t i = 0; i < 16; ++i) disk_->Put32At(size_t{ind} * GetParam() + 4 * i, 0xfffffff0);
  // A directory record with rec_len 0 in "dir".
  Volume v = Volume::Mount(*disk_, true, 16, kNow).value();
  EXPECT_EQ(v.GetInode(hello).error(), Errno::kEIO);
  std::array<uint8_t, 16> buf{};
  EXPECT_EQ(v.Read(big, 12 * uint64_t{GetParam()}, buf).error(), Errno::kEIO);
  uint32_t dir = v.Lookup(kRootIno, "dir").value();
  uint32_t dir_block = disk_->Le32At(InodeByte(dir) + 40);
  disk_->Put16At(size_t{dir_block} * GetParam() + 4, 0);
  Volume v2 = Volume::Mount(*disk_, true, 16, kNow).value();
  EXPECT_EQ(v2.Lookup(dir, "nested").error(), Errno::kEIO);
  // An unknown file type.
  disk_->Put16At(InodeByte(big), 0x3000 | 0644);
  Volume v3 = Volume::Mount(*disk_, true, 16, kNow).value();
  EXPECT_EQ(v3.GetInode(big).error(), Errno::kEIO);
}

TEST_P(Ext2Test, DoubleFreeIsEio) {
  Volume v = MountRw();
  uint32_t hello = v.Lookup(kRootIno, "hello.txt").value();
  uint32_t block = v.GetInode(hello).value().block[0];
  // A second file claiming hello.txt's block: freeing both frees it twice.
  uint32_t f = v.Create(kRootIno, "dup", kIfreg | 0644, 0, 0, 0, 0, kNow).value();
  ASSERT_TRUE(v.Sync(false));
  disk_->Put32At(InodeByte(f) + 40, block);
  disk_->Put32At(InodeByte(f) + 28, GetParam() / 512);
  Volume w = MountRw();
  ASSERT_TRUE(w.Unlink(kRootIno, "hello.txt", kNow).has_value());
  ASSERT_TRUE(w.Unlink(kRootIno, "hard.txt", kNow).has_value());
  ASSERT_TRUE(w.Release(hello, kNow));
  ASSERT_TRUE(w.Unlink(kRootIno, "dup", kNow).has_value());
  EXPECT_EQ(w.Release(f, kNow).error(), Errno::kEIO);
}

TEST_P(Ext2Test, DeviceErrorsAreEio) {
  Volume v = MountRw();
  disk_->fail = true;
  EXPECT_EQ(v.Lookup(kRootIno, "big.bin").error(), Errno::kEIO);
  std::array<uint8_t, 1> one{1};
  uint32_t f = 0;
  disk_->fail = false;
  f = v.Lookup(kRootIno, "hello.txt").value();
  ASSERT_TRUE(v.Write(f, 0, one, kNow).has_value());
  disk_->fail = true;
  EXPECT_EQ(v.Sync(false).error(), Errno::kEIO);
  disk_->fail = false;
  EXPECT_TRUE(v.Sync(false));
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).has_value(), true);
  disk_->fail = true;
  EXPECT_EQ(Volume::Mount(*disk_, true, 16, kNow).error(), Errno::kEIO);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2Test, ::testing::Values(1024u, 4096u));

}  // namespace
}  // namespace kernel::fs::ext2
