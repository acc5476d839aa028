// ParseKeelEfi: the hand-off block of Keel's EFI stub (arch/x86_64/efi/handoff.h).
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "arch/x86_64/efi/handoff.h"
#include "ostd/boot/internal/parse.h"

namespace ostd::boot {
namespace {

namespace efi = arch::efi;
using K = MemoryRegionKind;

class FakeMemory final : public PhysMemory {
 public:
  FakeMemory(Paddr base, size_t size) : base_(base), bytes_(size, 0) {}
  std::span<const uint8_t> Bytes(Paddr paddr, size_t len) const override {
    if (paddr < base_) return {};
    uint64_t off = paddr - base_;
    if (off > bytes_.size() || len > bytes_.size() - off) return {};
    return std::span<const uint8_t>(bytes_).subspan(off, len);
  }
  void Write(Paddr paddr, const void* data, size_t len) {
    ASSERT_GE(paddr, base_);
    ASSERT_LE(paddr - base_ + len, bytes_.size());
    std::memcpy(bytes_.data() + (paddr - base_), data, len);
  }

 private:
  Paddr base_;
  std::vector<uint8_t> bytes_;
};

constexpr Paddr kBlock = 0x40000;
constexpr size_t kBlockSize = 0x2000;
constexpr Paddr kCmdline = kBlock + sizeof(efi::Handoff);
constexpr Paddr kLoader = kCmdline + 0x100;
constexpr Paddr kMap = kLoader + 0x80;

struct Block {
  FakeMemory mem{kBlock, 0x10000};
  efi::Handoff h{};

  Block() {
    h.magic = efi::kHandoffMagic;
    h.version = efi::kHandoffVersion;
    h.total_size = kBlockSize;
    h.cmdline_paddr = kCmdline;
    h.loader_paddr = kLoader;
    h.initramfs_paddr = 0x8000000;
    h.initramfs_size = 0x123456;
    h.rsdp_paddr = 0x3f77d014;
    h.memmap_paddr = kMap;
    h.memmap_entries = 3;
    PutString(kCmdline, "init=/bin/sh marker=uefi");
    PutString(kLoader, "Keel EFI stub on EDK II");
    Entry(0, 0, 0xa0000, efi::kE820Usable);
    Entry(1, 0x100000, 0x3f600000, efi::kE820Usable);
    Entry(2, 0x3f700000, 0x100000, efi::kE820Acpi);
  }
  void PutString(Paddr at, std::string_view s) {
    std::string copy(s);
    mem.Write(at, copy.c_str(), copy.size() + 1);
  }
  void Entry(uint32_t i, uint64_t addr, uint64_t size, uint32_t type) {
    efi::E820Entry e{addr, size, type, 0};
    mem.Write(kMap + i * sizeof(e), &e, sizeof(e));
  }
  Status Parse(RawBootInfo* out, MemoryMapBuilder* map) {
    mem.Write(kBlock, &h, sizeof(h));
    return ParseKeelEfi(mem, kBlock, out, map);
  }
};

TEST(ParseKeelEfiTest, FullBlock) {
  Block b;
  RawBootInfo info;
  auto map = std::make_unique<MemoryMapBuilder>();
  ASSERT_TRUE(b.Parse(&info, map.get()).has_value());
  EXPECT_EQ(info.protocol, BootProtocol::kUefi);
  EXPECT_TRUE(info.uefi);
  EXPECT_EQ(info.cmdline, "init=/bin/sh marker=uefi");
  EXPECT_EQ(info.loader_name, "Keel EFI stub on EDK II");
  EXPECT_TRUE(info.has_rsdp);
  EXPECT_EQ(info.rsdp, 0x3f77d014u);
  EXPECT_TRUE(info.has_initramfs);
  EXPECT_EQ(info.initramfs_base, 0x8000000u);
  EXPECT_EQ(info.initramfs_size, 0x123456u);
  EXPECT_EQ(info.info_base, kBlock);
  EXPECT_EQ(info.info_size, kBlockSize);
  std::span<const MemoryRegion> regions = map->Build();
  ASSERT_EQ(regions.size(), 3u);
  EXPECT_EQ(regions[0].kind, K::kUsable);
  EXPECT_EQ(regions[1].base, 0x100000u);
  EXPECT_EQ(regions[1].end(), 0x3f700000u);
  EXPECT_EQ(regions[2].kind, K::kAcpiReclaimable);
  EXPECT_EQ(BootProtocolName(info.protocol), "UEFI");
}

TEST(ParseKeelEfiTest, NoRsdpNoInitramfs) {
  Block b;
  b.h.rsdp_paddr = 0;
  b.h.initramfs_paddr = 0;
  b.h.initramfs_size = 0;
  RawBootInfo info;
  auto map = std::make_unique<MemoryMapBuilder>();
  ASSERT_TRUE(b.Parse(&info, map.get()).has_value());
  EXPECT_FALSE(info.has_rsdp);
  EXPECT_FALSE(info.has_initramfs);
}

TEST(ParseKeelEfiTest, RejectsBadMagicVersionAndSize) {
  auto expect_einval = [](Block& b) {
    RawBootInfo info;
    auto map = std::make_unique<MemoryMapBuilder>();
    Status s = b.Parse(&info, map.get());
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error(), Errno::kEINVAL);
  };
  Block magic;
  magic.h.magic = 0x36d76289;
  expect_einval(magic);
  Block version;
  version.h.version = 2;
  expect_einval(version);
  Block tiny;
  tiny.h.total_size = 8;
  expect_einval(tiny);
  Block huge;
  huge.h.total_size = 64u << 20;
  expect_einval(huge);
  RawBootInfo info;
  auto map = std::make_unique<MemoryMapBuilder>();
  FakeMemory empty(0x1000, 0x1000);
  EXPECT_FALSE(ParseKeelEfi(empty, kBlock, &info, map.get()).has_value());  // unreadable
}

TEST(ParseKeelEfiTest, RejectsPointersThatLeaveTheBlock) {
  auto expect_einval = [](Block& b) {
    RawBootInfo info;
    auto map = std::make_unique<MemoryMapBuilder>();
    EXPECT_FALSE(b.Parse(&info, map.get()).has_value());
  };
  Block cmdline;
  cmdline.h.cmdline_paddr = kBlock + kBlockSize;  // one past the end
  expect_einval(cmdline);
  Block below;
  below.h.loader_paddr = kBlock - 1;
  expect_einval(below);
  Block map_tail;
  map_tail.h.memmap_paddr = kBlock + kBlockSize - 2 * sizeof(efi::E820Entry);  // 3 entries
  expect_einval(map_tail);
  Block too_many;
  too_many.h.memmap_entries = efi::kHandoffMaxEntries + 1;
  expect_einval(too_many);
}

TEST(ParseKeelEfiTest, UnterminatedStringReadsAsEmpty) {
  Block b;
  b.h.total_size = kLoader - kBlock + 4;  // the loader name's NUL is outside the block
  b.h.memmap_entries = 0;
  b.h.memmap_paddr = kBlock;
  RawBootInfo info;
  auto map = std::make_unique<MemoryMapBuilder>();
  ASSERT_TRUE(b.Parse(&info, map.get()).has_value());
  EXPECT_EQ(info.loader_name, "");
  EXPECT_EQ(info.cmdline, "init=/bin/sh marker=uefi");
}

}  // namespace
}  // namespace ostd::boot
