// In-kernel tests of block special files: a RAM disk that can fail on
// command (vda), and the real virtio-blk disk the harness attaches (vdb,
// 1 MiB holding the harness's sector pattern, see ktest/harness.py), both
// opened through /dev nodes in a tmpfs and read and written at byte offsets.
#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "drivers/virtio/blk.h"
#include "kernel/fs/block_device.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "ktest/ktest.h"
#include "ostd/util/vec.h"

namespace kernel::fs {
namespace {

using ostd::Errno;

class RamDisk final : public BlockDevice {
 public:
  explicit RamDisk(ostd::Vec<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  uint64_t sectors() const override { return bytes_.size() / 512; }
  bool read_only() const override { return false; }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    if (fail_) return ostd::Err(Errno::kEIO);
    ++reads_;
    for (size_t i = 0; i < dst.size(); ++i) dst[i] = bytes_[sector * 512 + i];
    return {};
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    if (fail_) return ostd::Err(Errno::kEIO);
    ++writes_;
    for (size_t i = 0; i < src.size(); ++i) bytes_[sector * 512 + i] = src[i];
    return {};
  }
  ostd::Status Flush() override { return {}; }

  ostd::Vec<uint8_t> bytes_;
  bool fail_ = false;
  int reads_ = 0;
  int writes_ = 0;
};

class VirtioDisk final : public BlockDevice {
 public:
  explicit VirtioDisk(ostd::Box<drivers::virtio::VirtioBlk> blk) : blk_(std::move(blk)) {}
  uint64_t sectors() const override { return blk_->capacity(); }
  bool read_only() const override { return blk_->read_only(); }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    return blk_->Read(sector, dst);
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    return blk_->Write(sector, src);
  }
  ostd::Status Flush() override { return blk_->Flush(); }

 private:
  ostd::Box<drivers::virtio::VirtioBlk> blk_;
};

RamDisk* ram = nullptr;

// /dev in a fresh tmpfs with vda (the RAM disk) and vdb (virtio), registered once.
RefPtr<Inode> DevDir() {
  if (ram == nullptr) {
    ostd::Vec<uint8_t> bytes;
    if (!bytes.Resize(8 * 512).has_value()) return nullptr;
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i / 512 + 1);
    auto disk = ostd::MakeBox<RamDisk>(std::move(bytes));
    if (!disk) return nullptr;
    ram = disk->get();
    if (!RegisterBlockDevice(std::move(*disk)).has_value()) return nullptr;
    auto blk = drivers::virtio::VirtioBlk::Probe(0);
    if (!blk) return nullptr;
    auto vd = ostd::MakeBox<VirtioDisk>(std::move(*blk));
    if (!vd || !RegisterBlockDevice(std::move(*vd)).has_value()) return nullptr;
  }
  auto root = CreateTmpfs(0755);
  if (!root) return nullptr;
  if (!CreateBlockDeviceNodes(**root).has_value()) return nullptr;
  return *root;
}

RefPtr<File> OpenNode(std::string_view name, uint32_t flags) {
  RefPtr<Inode> dev = DevDir();
  if (!dev) return nullptr;
  auto node = dev->Lookup(name);
  if (!node) return nullptr;
  auto f = (*node)->Open(flags, Caller::Kernel());
  return f ? *f : nullptr;
}

ostd::Result<size_t> PRead(File& f, uint64_t off, std::span<uint8_t> out) {
  VmWriter<Infallible> w = VmWriter<Infallible>::FromSpan(out);
  IoWriter dst(w);
  return f.ReadAt(off, dst, Caller::Kernel());
}

ostd::Result<size_t> PWrite(File& f, uint64_t off, std::span<const uint8_t> in) {
  VmReader<Infallible> r = VmReader<Infallible>::FromSpan(in);
  IoReader src(r);
  return f.WriteAt(off, src, Caller::Kernel());
}

TEST(BlockDeviceTest, NodesAreBlockSpecialFiles) {
  RefPtr<Inode> dev = DevDir();
  ASSERT_TRUE(dev);
  auto vda = dev->Lookup("vda");
  ASSERT_TRUE(vda.has_value());
  InodeAttr a = (*vda)->GetAttr();
  EXPECT_EQ(a.mode & kS_IFMT, kS_IFBLK);
  EXPECT_EQ(a.mode & 07777, 0660u);
  EXPECT_EQ(a.rdev, MakeDev(kVirtBlkMajor, 0));
  EXPECT_EQ(a.size, 0u);  // as Linux: the size is not in st_size
  auto vdb = dev->Lookup("vdb");
  ASSERT_TRUE(vdb.has_value());
  EXPECT_EQ((*vdb)->GetAttr().rdev, MakeDev(kVirtBlkMajor, 16));
  EXPECT_FALSE(dev->Lookup("vdc").has_value());
}

TEST(BlockDeviceTest, UnalignedReadsAndWritesKeepTheBytesAround) {
  RefPtr<File> f = OpenNode("vda", kO_RDWR);
  ASSERT_TRUE(f);
  std::array<uint8_t, 600> in;
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(0x80 + i);
  ASSERT_EQ(*PWrite(*f, 700, in), 600u);  // sectors 1-2, partially
  std::array<uint8_t, 1536> all{};
  ASSERT_EQ(*PRead(*f, 0, all), 1536u);
  for (size_t i = 0; i < 1536; ++i) {
    uint8_t want = i >= 700 && i < 1300 ? static_cast<uint8_t>(0x80 + (i - 700))
                                        : static_cast<uint8_t>(i / 512 + 1);
    ASSERT_EQ(all[i], want) << i;
  }
  std::array<uint8_t, 3> mid{};
  ASSERT_EQ(*PRead(*f, 699, mid), 3u);
  EXPECT_EQ(mid[0], 2u);
  EXPECT_EQ(mid[1], 0x80u);
  EXPECT_EQ(mid[2], 0x81u);
}

TEST(BlockDeviceTest, EndOfDeviceIsLinuxLike) {
  RefPtr<File> f = OpenNode("vda", kO_RDWR);
  ASSERT_TRUE(f);
  std::array<uint8_t, 100> buf{};
  EXPECT_EQ(*PRead(*f, 4096, buf), 0u);  // at the end: EOF
  EXPECT_EQ(*PRead(*f, 4090, buf), 6u);  // across it: short
  EXPECT_EQ(PWrite(*f, 4096, buf).error(), Errno::kENOSPC);
  EXPECT_EQ(*PWrite(*f, 4090, buf), 6u);  // cut at the end
  EXPECT_EQ(*PWrite(*f, 0, std::span<const uint8_t>()), 0u);
  EXPECT_EQ(*f->Seek(0, kSeekEnd), 4096u);  // the disk's size, not the inode's
  EXPECT_EQ(*f->Seek(-512, kSeekEnd), 3584u);
}

TEST(BlockDeviceTest, DeviceErrorsAreEioOrAShortCount) {
  RefPtr<File> f = OpenNode("vda", kO_RDWR);
  ASSERT_TRUE(f);
  std::array<uint8_t, 512> buf{};
  ram->fail_ = true;
  EXPECT_EQ(PRead(*f, 0, buf).error(), Errno::kEIO);
  EXPECT_EQ(PWrite(*f, 0, buf).error(), Errno::kEIO);
  ram->fail_ = false;
  EXPECT_EQ(*PRead(*f, 0, buf), 512u);
}

TEST(BlockDeviceTest, VirtioDiskThroughDevNode) {
  RefPtr<File> f = OpenNode("vdb", kO_RDWR);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->Seek(0, kSeekEnd), 1024u * 1024);
  // Sector 3 as the host wrote it: "KEELDISK", 3, then (3 * 7 + i) & 0xff.
  std::array<uint8_t, 20> head{};
  ASSERT_EQ(*PRead(*f, 3 * 512, head), 20u);
  EXPECT_EQ(head[0], 'K');
  EXPECT_EQ(head[7], 'K');
  EXPECT_EQ(head[8], 3u);
  EXPECT_EQ(head[16], static_cast<uint8_t>(3 * 7 + 16));
  // An unaligned write across a sector boundary, read back.
  std::array<uint8_t, 10> hello = {'h', 'e', 'l', 'l', 'o', ' ', 'v', 'd', 'b', '!'};
  ASSERT_EQ(*PWrite(*f, 5 * 512 - 4, hello), 10u);
  std::array<uint8_t, 12> back{};
  ASSERT_EQ(*PRead(*f, 5 * 512 - 5, back), 12u);
  EXPECT_EQ(back[0], static_cast<uint8_t>(4 * 7 + 507));  // the byte before, untouched
  for (size_t i = 0; i < hello.size(); ++i) EXPECT_EQ(back[i + 1], hello[i]);
  EXPECT_EQ(back[11], 'S');  // sector 5 byte 6 ("KEELDISK"), untouched
}

}  // namespace
}  // namespace kernel::fs
