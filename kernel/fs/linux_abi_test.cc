#include "kernel/fs/linux_abi.h"

#include <array>

#include "gtest/gtest.h"

namespace kernel::fs {
namespace {

// Offsets from glibc's x86_64 <bits/struct_stat.h> and <linux/stat.h>.
TEST(LinuxAbiTest, StatLayout) {
  EXPECT_EQ(sizeof(LinuxStat), 144u);
  EXPECT_EQ(offsetof(LinuxStat, st_ino), 8u);
  EXPECT_EQ(offsetof(LinuxStat, st_nlink), 16u);
  EXPECT_EQ(offsetof(LinuxStat, st_mode), 24u);
  EXPECT_EQ(offsetof(LinuxStat, st_uid), 28u);
  EXPECT_EQ(offsetof(LinuxStat, st_gid), 32u);
  EXPECT_EQ(offsetof(LinuxStat, st_rdev), 40u);
  EXPECT_EQ(offsetof(LinuxStat, st_size), 48u);
  EXPECT_EQ(offsetof(LinuxStat, st_blksize), 56u);
  EXPECT_EQ(offsetof(LinuxStat, st_blocks), 64u);
  EXPECT_EQ(offsetof(LinuxStat, st_atime_sec), 72u);
  EXPECT_EQ(offsetof(LinuxStat, st_mtime_sec), 88u);
  EXPECT_EQ(offsetof(LinuxStat, st_ctime_sec), 104u);
}

TEST(LinuxAbiTest, StatxLayout) {
  EXPECT_EQ(sizeof(LinuxStatx), 256u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_nlink), 16u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_mode), 28u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_ino), 32u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_btime), 80u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_ctime), 96u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_dev_minor), 140u);
  EXPECT_EQ(offsetof(LinuxStatx, stx_mnt_id), 144u);
  EXPECT_EQ(sizeof(StatxTimestamp), 16u);
}

TEST(LinuxAbiTest, FlagValues) {
  EXPECT_EQ(kO_CREAT, 0x40u);
  EXPECT_EQ(kO_DIRECTORY, 0x10000u);
  EXPECT_EQ(kO_NOFOLLOW, 0x20000u);
  EXPECT_EQ(kO_CLOEXEC, 0x80000u);
  EXPECT_EQ(kO_PATH, 0x200000u);
  EXPECT_EQ(kO_APPEND, 0x400u);
  EXPECT_EQ(kO_NONBLOCK, 0x800u);
  EXPECT_EQ(kAtFdCwd, -100);
  EXPECT_EQ(kAtEmptyPath, 0x1000u);
  EXPECT_EQ(kS_IFLNK, 0xa000u);
}

TEST(LinuxAbiTest, DevNumbers) {
  uint64_t d = MakeDev(136, 300);
  EXPECT_EQ(DevMajor(d), 136u);
  EXPECT_EQ(DevMinor(d), 300u);
  EXPECT_EQ(MakeDev(1, 3), 0x103u);
  EXPECT_EQ(DtypeFromMode(kS_IFDIR | 0755), kDtDir);
  EXPECT_EQ(DtypeFromMode(kS_IFLNK), kDtLnk);
}

// Little-endian load of `n` bytes at `at`.
uint64_t Load(const std::array<uint8_t, 64>& b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}

TEST(LinuxAbiTest, PackDirent64) {
  std::array<uint8_t, 64> buf;
  buf.fill(0xaa);
  size_t n = PackDirent64(buf, 42, 7, kDtReg, "hello");
  EXPECT_EQ(n, 32u);  // 19 + 5 + 1 = 25 -> 32
  EXPECT_EQ(Load(buf, 0, 8), 42u);
  EXPECT_EQ(Load(buf, 8, 8), 7u);
  EXPECT_EQ(Load(buf, 16, 2), 32u);
  EXPECT_EQ(buf[18], kDtReg);
  EXPECT_EQ(buf[19], 'h');
  EXPECT_EQ(buf[24], 0);
  EXPECT_EQ(buf[31], 0);
  EXPECT_EQ(buf[32], 0xaa);
  EXPECT_EQ(PackDirent64(std::span<uint8_t>(buf).first(31), 1, 1, kDtReg, "hello"), 0u);
}

TEST(LinuxAbiTest, PackDirent) {
  std::array<uint8_t, 64> buf;
  buf.fill(0xaa);
  size_t n = PackDirent(buf, 42, 7, kDtDir, "hello");
  EXPECT_EQ(n, 32u);  // 18 + 5 + NUL + d_type = 25 -> 32
  EXPECT_EQ(Load(buf, 0, 8), 42u);
  EXPECT_EQ(Load(buf, 8, 8), 7u);
  EXPECT_EQ(Load(buf, 16, 2), 32u);
  EXPECT_EQ(buf[18], 'h');
  EXPECT_EQ(buf[23], 0);       // the name's NUL
  EXPECT_EQ(buf[30], 0);       // padding
  EXPECT_EQ(buf[31], kDtDir);  // d_type in the last byte
  EXPECT_EQ(buf[32], 0xaa);
  EXPECT_EQ(DirentRecLen(6), 32u);  // 18 + 6 + 2 = 26 -> 32
  EXPECT_EQ(DirentRecLen(12), 32u);
  EXPECT_EQ(DirentRecLen(13), 40u);
  EXPECT_EQ(PackDirent(std::span<uint8_t>(buf).first(31), 1, 1, kDtReg, "hello"), 0u);
}

}  // namespace
}  // namespace kernel::fs
