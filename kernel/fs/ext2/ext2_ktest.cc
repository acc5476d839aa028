// ext2 in the kernel on the real virtio-blk disk the harness attaches (8 MiB
// of its sector pattern): the test formats a minimal ext2 (one group, 1 KiB
// blocks) by writing the structures mke2fs would, mounts it, writes files
// through the buffer cache, syncs (a virtio-blk flush) and reads everything
// back through a second mount with a cold cache.
#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "drivers/virtio/blk.h"
#include "kernel/fs/block_io.h"
#include "kernel/fs/ext2/ext2.h"
#include "kernel/fs/ext2/ext2_vfs.h"
#include "kernel/fs/io.h"
#include "kernel/fs/linux_abi.h"
#include "ktest/ktest.h"
#include "ostd/util/box.h"
#include "ostd/util/vec.h"

namespace kernel::fs::ext2 {
namespace {

using ostd::Errno;

constexpr uint32_t kNow = 1800000000;

// The virtio disk, counting flushes.
class VirtioDisk final : public BlockDevice {
 public:
  explicit VirtioDisk(ostd::Box<drivers::virtio::VirtioBlk> blk) : blk_(std::move(blk)) {}
  uint64_t sectors() const override { return blk_->capacity(); }
  bool read_only() const override { return blk_->read_only(); }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    return blk_->Read(sector, dst);
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    ++writes;
    return blk_->Write(sector, src);
  }
  ostd::Status Flush() override {
    ++flushes;
    return blk_->Flush();
  }
  int writes = 0;
  int flushes = 0;

 private:
  ostd::Box<drivers::virtio::VirtioBlk> blk_;
};

VirtioDisk* Disk() {
  static ostd::Box<VirtioDisk> disk;
  if (!disk) {
    auto blk = drivers::virtio::VirtioBlk::Probe(0);
    if (!blk) return nullptr;
    auto d = ostd::MakeBox<VirtioDisk>(std::move(*blk));
    if (!d) return nullptr;
    disk = std::move(*d);
  }
  return disk.get();
}

void Put(std::span<uint8_t> b, size_t off, uint32_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// One group of 8191 blocks (1 KiB) and 256 inodes of 128 bytes: block 1 the
// superblock, 2 the descriptor, 3 and 4 the bitmaps, 5-36 the inode table,
// 37 the root directory.
ostd::Status Format(BlockDevice& dev) {
  constexpr uint32_t kBlocks = 8192, kInodes = 256, kUsed = 38, kRootBlock = 37;
  ostd::Vec<uint8_t> img;
  OSTD_TRY(img.Resize(kUsed * 1024));
  std::span<uint8_t> b = img.span();
  std::span<uint8_t> sb = b.subspan(1024, 1024);
  Put(sb, 0, kInodes, 4);
  Put(sb, 4, kBlocks, 4);
  Put(sb, 12, kBlocks - kUsed, 4);
  Put(sb, 16, kInodes - 11, 4);
  Put(sb, 20, 1, 4);     // first data block
  Put(sb, 32, 8192, 4);  // blocks per group
  Put(sb, 36, 8192, 4);  // fragments per group
  Put(sb, 40, kInodes, 4);
  Put(sb, 56, kMagic, 2);
  Put(sb, 58, 1, 2);    // clean
  Put(sb, 60, 1, 2);    // errors: continue
  Put(sb, 76, 1, 4);    // revision 1
  Put(sb, 84, 11, 4);   // first inode
  Put(sb, 88, 128, 2);  // inode size
  Put(sb, 96, kIncompatFiletype, 4);
  std::span<uint8_t> gd = b.subspan(2048, 32);
  Put(gd, 0, 3, 4);
  Put(gd, 4, 4, 4);
  Put(gd, 8, 5, 4);
  Put(gd, 12, kBlocks - kUsed, 2);
  Put(gd, 14, kInodes - 11, 2);
  Put(gd, 16, 1, 2);
  // Block bitmap: blocks 1..37 (bits 0..36) used, bit 8191 (block 8192, past
  // the end) padding.
  std::span<uint8_t> bb = b.subspan(3 * 1024, 1024);
  for (uint32_t bit = 0; bit < kUsed - 1; ++bit)
    bb[bit / 8] |= static_cast<uint8_t>(1 << (bit % 8));
  bb[1023] |= 0x80;
  // Inode bitmap: inodes 1..11 used, bits past 256 padding.
  std::span<uint8_t> ib = b.subspan(4 * 1024, 1024);
  for (uint32_t bit = 0; bit < 11; ++bit) ib[bit / 8] |= static_cast<uint8_t>(1 << (bit % 8));
  for (uint32_t byte = kInodes / 8; byte < 1024; ++byte) ib[byte] = 0xff;
  // Root inode (2): a directory of one block.
  std::span<uint8_t> root = b.subspan(5 * 1024 + 128, 128);
  Put(root, 0, kIfdir | 0755, 2);
  Put(root, 4, 1024, 4);
  Put(root, 8, kNow, 4);
  Put(root, 12, kNow, 4);
  Put(root, 16, kNow, 4);
  Put(root, 26, 2, 2);
  Put(root, 28, 2, 4);
  Put(root, 40, kRootBlock, 4);
  std::span<uint8_t> dir = b.subspan(kRootBlock * 1024, 1024);
  Put(dir, 0, kRootIno, 4);
  Put(dir, 4, 12, 2);
  Put(dir, 6, 1 | (kFtDir << 8), 2);
  dir[8] = '.';
  Put(dir, 12, kRootIno, 4);
  Put(dir, 16, 1012, 2);
  Put(dir, 18, 2 | (kFtDir << 8), 2);
  dir[20] = '.';
  dir[21] = '.';
  OSTD_TRY(dev.WriteSectors(0, img.span()));
  return dev.Flush();
}

TEST(Ext2Ktest, WritesSyncAndReadsBackOnVirtioBlk) {
  VirtioDisk* disk = Disk();
  ASSERT_TRUE(disk != nullptr);
  ASSERT_TRUE(Format(*disk).has_value());
  ostd::Vec<uint8_t> data;
  ASSERT_TRUE(data.Resize(300 * 1024).has_value());
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>((i * 31) % 253);
  uint32_t big = 0, dir = 0;
  {
    auto v = Volume::Mount(*disk, false, 32, kNow);
    ASSERT_TRUE(v.has_value());
    auto d = v->Mkdir(kRootIno, "keel", 0755, 0, 0, kNow);
    ASSERT_TRUE(d.has_value());
    dir = *d;
    auto f = v->Create(dir, "big.bin", kIfreg | 0644, 0, 0, 0, 0, kNow);
    ASSERT_TRUE(f.has_value());
    big = *f;
    auto n = v->Write(big, 0, data.span(), kNow);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, data.size());
    ASSERT_TRUE(v->Symlink(dir, "link", "big.bin", 0, 0, kNow).has_value());
    int flushes = disk->flushes;
    ASSERT_TRUE(v->Sync(true).has_value());
    EXPECT_EQ(disk->flushes, flushes + 1);
  }
  auto v = Volume::Mount(*disk, true, 8, kNow);
  ASSERT_TRUE(v.has_value());
  auto d = v->Lookup(kRootIno, "keel");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, dir);
  auto f = v->Lookup(dir, "big.bin");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, big);
  ostd::Vec<uint8_t> back;
  ASSERT_TRUE(back.Resize(data.size()).has_value());
  auto n = v->Read(big, 0, back.span());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, data.size());
  size_t bad = 0;
  for (size_t i = 0; i < data.size(); ++i) bad += back[i] != data[i] ? 1 : 0;
  EXPECT_EQ(bad, 0u);
  std::array<char, 16> target{};
  auto len = v->ReadLink(*v->Lookup(dir, "link"), target);
  ASSERT_TRUE(len.has_value());
  EXPECT_EQ(*len, 7u);
  EXPECT_EQ(v->Write(big, 0, data.span().first(1), kNow).error(), Errno::kEROFS);
}

TEST(Ext2Ktest, UnlinkAndRmdirGiveBlocksBack) {
  VirtioDisk* disk = Disk();
  ASSERT_TRUE(disk != nullptr);
  ASSERT_TRUE(Format(*disk).has_value());
  auto v = Volume::Mount(*disk, false, 16, kNow);
  ASSERT_TRUE(v.has_value());
  uint32_t free_blocks = v->superblock().free_blocks;
  auto d = v->Mkdir(kRootIno, "d", 0700, 0, 0, kNow);
  ASSERT_TRUE(d.has_value());
  std::array<uint8_t, 4096> page{};
  for (int i = 0; i < 20; ++i) {
    std::array<char, 2> name{static_cast<char>('a' + i), 0};
    auto f = v->Create(*d, std::string_view(std::span<const char>(name).first(1)), kIfreg | 0600, 0,
                       0, 0, 0, kNow);
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(v->Write(*f, 100000, page, kNow).has_value());
  }
  EXPECT_LT(v->superblock().free_blocks, free_blocks);
  EXPECT_EQ(v->Rmdir(kRootIno, "d", kNow).error(), Errno::kENOTEMPTY);
  for (int i = 0; i < 20; ++i) {
    std::array<char, 2> name{static_cast<char>('a' + i), 0};
    auto ino = v->Unlink(*d, std::string_view(std::span<const char>(name).first(1)), kNow);
    ASSERT_TRUE(ino.has_value());
    ASSERT_TRUE(v->Release(*ino, kNow).has_value());
  }
  auto gone = v->Rmdir(kRootIno, "d", kNow);
  ASSERT_TRUE(gone.has_value());
  ASSERT_TRUE(v->Release(*gone, kNow).has_value());
  EXPECT_EQ(v->superblock().free_blocks, free_blocks);
  ASSERT_TRUE(v->Sync(true).has_value());
}

ostd::Result<size_t> PWrite(fs::Inode& in, uint64_t off, std::span<const uint8_t> data) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(data);
  IoReader src(r);
  return in.WriteAt(off, src);
}

ostd::Result<size_t> PRead(fs::Inode& in, uint64_t off, std::span<uint8_t> out) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  return in.ReadAt(off, dst);
}

class CountSink final : public DirSink {
 public:
  bool Emit(std::string_view name, uint64_t, uint8_t dtype, uint64_t) override {
    ++count;
    if (name == "sub") sub_type = dtype;
    return true;
  }
  int count = 0;
  uint8_t sub_type = 0;
};

TEST(Ext2Ktest, VfsInodesPersistAcrossUnmount) {
  VirtioDisk* disk = Disk();
  ASSERT_TRUE(disk != nullptr);
  ASSERT_TRUE(Format(*disk).has_value());
  uint64_t file_ino = 0;
  {
    auto root = MountExt2(*disk, false);
    ASSERT_TRUE(root.has_value());
    RefPtr<fs::Inode> r = *root;
    EXPECT_EQ(r->ino(), uint64_t{kRootIno});
    EXPECT_EQ(r->Parent().get(), r.get());
    auto sub = r->Create("sub", InodeType::kDirectory, 0750, 1000, 100, 0);
    ASSERT_TRUE(sub.has_value());
    EXPECT_EQ(r->nlink(), 3u);
    auto f = (*sub)->Create("data", InodeType::kRegular, 0644, 1000, 100, 0);
    ASSERT_TRUE(f.has_value());
    file_ino = (*f)->ino();
    std::array<uint8_t, 5000> bytes{};
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i % 199);
    auto n = PWrite(**f, 10000, bytes);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, bytes.size());
    EXPECT_EQ((*f)->size(), 15000u);
    EXPECT_GT((*f)->GetAttr().blocks, 0u);
    // Hard links share the inode; the same object comes back.
    ASSERT_TRUE(r->Link("alias", *f).has_value());
    EXPECT_EQ((*f)->nlink(), 2u);
    auto alias = r->Lookup("alias");
    ASSERT_TRUE(alias.has_value());
    EXPECT_EQ(alias->get(), f->get());
    EXPECT_EQ(r->Link("dirlink", *sub).error(), Errno::kEPERM);
    EXPECT_EQ((*sub)->Parent().get(), r.get());
    EXPECT_TRUE((*sub)->HasChildren());
    EXPECT_EQ(r->Rmdir("sub").error(), Errno::kENOTEMPTY);
    EXPECT_EQ(r->Rename("alias", **sub, "data", kRenameNoreplace).error(), Errno::kEEXIST);
    EXPECT_EQ(r->Rename("alias", **sub, "x", 2 /* RENAME_EXCHANGE */).error(), Errno::kEINVAL);
    ASSERT_TRUE(r->Rename("alias", **sub, "alias2", 0).has_value());
    auto link = r->Symlink("ln", "sub/data", 0, 0);
    ASSERT_TRUE(link.has_value());
    std::array<char, 16> target{};
    EXPECT_EQ(*(*link)->ReadLink(target), 8u);
    // chmod/chown reach the disk at sync.
    (*f)->SetPerm(0600);
    (*f)->SetOwner(7, 8);
    CountSink sink;
    ASSERT_TRUE(r->ReadDir(0, sink).has_value());
    EXPECT_EQ(sink.count, 4);  // . .. sub ln
    EXPECT_EQ(sink.sub_type, kDtDir);
    int flushes = disk->flushes;
    ASSERT_TRUE(SyncExt2(*r->fs()).has_value());
    EXPECT_GT(disk->flushes, flushes);
    ASSERT_TRUE(UnmountExt2(*r->fs()).has_value());
  }
  auto root = MountExt2(*disk, true);
  ASSERT_TRUE(root.has_value());
  auto sub = (*root)->Lookup("sub");
  ASSERT_TRUE(sub.has_value());
  auto f = (*sub)->Lookup("alias2");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)->ino(), file_ino);
  InodeAttr a = (*f)->GetAttr();
  EXPECT_EQ(a.mode, kS_IFREG | 0600u);
  EXPECT_EQ(a.uid, 7u);
  EXPECT_EQ(a.gid, 8u);
  EXPECT_EQ(a.nlink, 2u);
  EXPECT_EQ(a.size, 15000u);
  std::array<uint8_t, 100> back{};
  ASSERT_EQ(*PRead(**f, 10000 + 199, back), back.size());
  EXPECT_EQ(back[0], 0u);
  EXPECT_EQ(back[5], 5u);
  ASSERT_EQ(*PRead(**f, 0, back), back.size());
  EXPECT_EQ(back[99], 0u);  // the hole
  EXPECT_EQ((*root)->Create("x", InodeType::kRegular, 0644, 0, 0, 0).error(), Errno::kEROFS);
  ASSERT_TRUE(UnmountExt2(*(*root)->fs()).has_value());
}

}  // namespace
}  // namespace kernel::fs::ext2
