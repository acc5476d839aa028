// Linux x86_64 file-system ABI: flag values, mode bits and the exact layouts
// of struct stat, struct statx and struct linux_dirent64. Pure logic: the
// layouts are checked by static_asserts here and by host tests.
#ifndef KERNEL_FS_LINUX_ABI_H_
#define KERNEL_FS_LINUX_ABI_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/pod.h"
#include "ostd/util/span_copy.h"

namespace kernel::fs {

// open(2) flags (octal, as in asm-generic/fcntl.h).
inline constexpr uint32_t kO_ACCMODE = 03;
inline constexpr uint32_t kO_RDONLY = 00;
inline constexpr uint32_t kO_WRONLY = 01;
inline constexpr uint32_t kO_RDWR = 02;
inline constexpr uint32_t kO_CREAT = 0100;
inline constexpr uint32_t kO_EXCL = 0200;
inline constexpr uint32_t kO_NOCTTY = 0400;
inline constexpr uint32_t kO_TRUNC = 01000;
inline constexpr uint32_t kO_APPEND = 02000;
inline constexpr uint32_t kO_NONBLOCK = 04000;
inline constexpr uint32_t kO_DSYNC = 010000;
inline constexpr uint32_t kO_ASYNC = 020000;
inline constexpr uint32_t kO_DIRECT = 040000;
inline constexpr uint32_t kO_LARGEFILE = 0100000;
inline constexpr uint32_t kO_DIRECTORY = 0200000;
inline constexpr uint32_t kO_NOFOLLOW = 0400000;
inline constexpr uint32_t kO_NOATIME = 01000000;
inline constexpr uint32_t kO_CLOEXEC = 02000000;
inline constexpr uint32_t kO_SYNC = 04010000;
inline constexpr uint32_t kO_PATH = 010000000;
inline constexpr uint32_t kO_TMPFILE = 020200000;
// Flags F_SETFL may change.
inline constexpr uint32_t kSetflMask = kO_APPEND | kO_NONBLOCK | kO_ASYNC | kO_DIRECT | kO_NOATIME;

// *at() flags and the special dirfd.
inline constexpr int kAtFdCwd = -100;
inline constexpr uint32_t kAtSymlinkNofollow = 0x100;
inline constexpr uint32_t kAtRemoveDir = 0x200;
inline constexpr uint32_t kAtSymlinkFollow = 0x400;
inline constexpr uint32_t kAtNoAutomount = 0x800;
inline constexpr uint32_t kAtEmptyPath = 0x1000;
inline constexpr uint32_t kAtEaccess = 0x200;
inline constexpr uint32_t kAtStatxSyncTypeMask = 0x6000;

// renameat2 flags.
inline constexpr uint32_t kRenameNoreplace = 1;
inline constexpr uint32_t kRenameExchange = 2;
inline constexpr uint32_t kRenameWhiteout = 4;

// fallocate modes.
// File seals (fcntl F_ADD_SEALS / F_GET_SEALS).
inline constexpr uint32_t kSealSeal = 0x01, kSealShrink = 0x02, kSealGrow = 0x04, kSealWrite = 0x08,
                          kSealFutureWrite = 0x10, kSealExec = 0x20;
inline constexpr uint32_t kAllSeals = 0x3f;

inline constexpr uint32_t kFallocKeepSize = 1;
inline constexpr uint32_t kFallocPunchHole = 2;

// Mode bits.
inline constexpr uint32_t kS_IFMT = 0170000;
inline constexpr uint32_t kS_IFSOCK = 0140000;
inline constexpr uint32_t kS_IFLNK = 0120000;
inline constexpr uint32_t kS_IFREG = 0100000;
inline constexpr uint32_t kS_IFBLK = 0060000;
inline constexpr uint32_t kS_IFDIR = 0040000;
inline constexpr uint32_t kS_IFCHR = 0020000;
inline constexpr uint32_t kS_IFIFO = 0010000;
inline constexpr uint32_t kS_ISUID = 04000;
inline constexpr uint32_t kS_ISGID = 02000;
inline constexpr uint32_t kS_ISVTX = 01000;
inline constexpr uint32_t kPermMask = 07777;

// d_type values of linux_dirent64.
inline constexpr uint8_t kDtUnknown = 0;
inline constexpr uint8_t kDtFifo = 1;
inline constexpr uint8_t kDtChr = 2;
inline constexpr uint8_t kDtDir = 4;
inline constexpr uint8_t kDtBlk = 6;
inline constexpr uint8_t kDtReg = 8;
inline constexpr uint8_t kDtLnk = 10;
inline constexpr uint8_t kDtSock = 12;

// The d_type for a file type in S_IFMT bits.
constexpr uint8_t DtypeFromMode(uint32_t mode) { return static_cast<uint8_t>((mode >> 12) & 15); }

// Device numbers as glibc's makedev/major/minor encode them.
constexpr uint64_t MakeDev(uint32_t major, uint32_t minor) {
  return (uint64_t{minor} & 0xff) | ((uint64_t{major} & 0xfff) << 8) |
         ((uint64_t{minor} & ~uint64_t{0xff}) << 12) | ((uint64_t{major} & ~uint64_t{0xfff}) << 32);
}
constexpr uint32_t DevMajor(uint64_t dev) {
  return static_cast<uint32_t>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~uint64_t{0xfff}));
}
constexpr uint32_t DevMinor(uint64_t dev) {
  return static_cast<uint32_t>((dev & 0xff) | ((dev >> 12) & ~uint64_t{0xff}));
}

// struct stat on x86_64 (asm/stat.h), 144 bytes.
struct LinuxStat {
  uint64_t st_dev;
  uint64_t st_ino;
  uint64_t st_nlink;
  uint32_t st_mode;
  uint32_t st_uid;
  uint32_t st_gid;
  int32_t pad0;
  uint64_t st_rdev;
  int64_t st_size;
  int64_t st_blksize;
  int64_t st_blocks;
  int64_t st_atime_sec;
  int64_t st_atime_nsec;
  int64_t st_mtime_sec;
  int64_t st_mtime_nsec;
  int64_t st_ctime_sec;
  int64_t st_ctime_nsec;
  std::array<int64_t, 3> unused;
  OSTD_POD(LinuxStat, st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, pad0, st_rdev, st_size,
           st_blksize, st_blocks, st_atime_sec, st_atime_nsec, st_mtime_sec, st_mtime_nsec,
           st_ctime_sec, st_ctime_nsec, unused);
};
static_assert(sizeof(LinuxStat) == 144);
static_assert(offsetof(LinuxStat, st_mode) == 24);
static_assert(offsetof(LinuxStat, st_rdev) == 40);
static_assert(offsetof(LinuxStat, st_size) == 48);
static_assert(offsetof(LinuxStat, st_atime_sec) == 72);
static_assert(offsetof(LinuxStat, st_ctime_nsec) == 112);

struct StatxTimestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
  OSTD_POD(StatxTimestamp, tv_sec, tv_nsec, reserved);
};

// struct statx (linux/stat.h), 256 bytes.
struct LinuxStatx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  StatxTimestamp stx_atime;
  StatxTimestamp stx_btime;
  StatxTimestamp stx_ctime;
  StatxTimestamp stx_mtime;
  uint32_t stx_rdev_major;
  uint32_t stx_rdev_minor;
  uint32_t stx_dev_major;
  uint32_t stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align;
  uint32_t stx_dio_offset_align;
  std::array<uint64_t, 12> spare;
  OSTD_POD(LinuxStatx, stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode,
           spare0, stx_ino, stx_size, stx_blocks, stx_attributes_mask, stx_atime, stx_btime,
           stx_ctime, stx_mtime, stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor,
           stx_mnt_id, stx_dio_mem_align, stx_dio_offset_align, spare);
};
static_assert(sizeof(LinuxStatx) == 256);
static_assert(offsetof(LinuxStatx, stx_mode) == 28);
static_assert(offsetof(LinuxStatx, stx_ino) == 32);
static_assert(offsetof(LinuxStatx, stx_atime) == 64);
static_assert(offsetof(LinuxStatx, stx_mtime) == 112);
static_assert(offsetof(LinuxStatx, stx_rdev_major) == 128);
static_assert(offsetof(LinuxStatx, stx_mnt_id) == 144);

// statx mask bits.
inline constexpr uint32_t kStatxType = 0x1;
inline constexpr uint32_t kStatxMode = 0x2;
inline constexpr uint32_t kStatxNlink = 0x4;
inline constexpr uint32_t kStatxUid = 0x8;
inline constexpr uint32_t kStatxGid = 0x10;
inline constexpr uint32_t kStatxAtime = 0x20;
inline constexpr uint32_t kStatxMtime = 0x40;
inline constexpr uint32_t kStatxCtime = 0x80;
inline constexpr uint32_t kStatxIno = 0x100;
inline constexpr uint32_t kStatxSize = 0x200;
inline constexpr uint32_t kStatxBlocks = 0x400;
inline constexpr uint32_t kStatxBasicStats = 0x7ff;
inline constexpr uint32_t kStatxBtime = 0x800;
inline constexpr uint32_t kStatxReserved = 0x80000000;

// linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]
// (NUL-terminated), the record padded to 8 bytes.
inline constexpr size_t kDirent64HeaderSize = 19;
constexpr size_t Dirent64RecLen(size_t name_len) {
  return (kDirent64HeaderSize + name_len + 1 + 7) & ~size_t{7};
}

// The part both dirent layouts share: d_ino, d_off and d_reclen at 0, 8 and
// 16, the name at `name_at`, and zeros from the name to the record's end
// (the NUL and the padding). out.size() >= reclen.
inline void PackDirentCommon(std::span<uint8_t> out, size_t reclen, uint64_t ino, int64_t off,
                             size_t name_at, std::string_view name) {
  auto put = [&](size_t at, auto value) {
    auto raw = std::bit_cast<std::array<uint8_t, sizeof(value)>>(value);
    (void)ostd::CopyBytes(raw, out.subspan(at, raw.size()));
  };
  put(0, ino);
  put(8, off);
  put(16, static_cast<uint16_t>(reclen));
  for (size_t i = 0; i < name.size(); ++i) out[name_at + i] = static_cast<uint8_t>(name[i]);
  for (size_t i = name_at + name.size(); i < reclen; ++i) out[i] = 0;
}

// Writes one linux_dirent64 record at the start of `out`. Returns its length,
// or 0 if `out` is too small (nothing written).
inline size_t PackDirent64(std::span<uint8_t> out, uint64_t ino, int64_t off, uint8_t type,
                           std::string_view name) {
  size_t reclen = Dirent64RecLen(name.size());
  if (out.size() < reclen) return 0;
  PackDirentCommon(out, reclen, ino, off, kDirent64HeaderSize, name);
  out[18] = type;
  return reclen;
}

// The legacy struct linux_dirent of getdents(2): d_ino and d_off (unsigned
// long), d_reclen, the NUL-terminated name, padding, and d_type in the
// record's last byte.
inline constexpr size_t kDirentHeaderSize = 18;
constexpr size_t DirentRecLen(size_t name_len) {
  return (kDirentHeaderSize + name_len + 2 + 7) & ~size_t{7};
}

// Writes one linux_dirent record at the start of `out`. Returns its length,
// or 0 if `out` is too small (nothing written).
inline size_t PackDirent(std::span<uint8_t> out, uint64_t ino, int64_t off, uint8_t type,
                         std::string_view name) {
  size_t reclen = DirentRecLen(name.size());
  if (out.size() < reclen) return 0;
  PackDirentCommon(out, reclen, ino, off, kDirentHeaderSize, name);
  out[reclen - 1] = type;
  return reclen;
}

// poll(2) events.
inline constexpr uint16_t kPollIn = 0x001;
inline constexpr uint16_t kPollPri = 0x002;
inline constexpr uint16_t kPollOut = 0x004;
inline constexpr uint16_t kPollErr = 0x008;
inline constexpr uint16_t kPollHup = 0x010;
inline constexpr uint16_t kPollNval = 0x020;
inline constexpr uint16_t kPollRdNorm = 0x040;
inline constexpr uint16_t kPollRdBand = 0x080;
inline constexpr uint16_t kPollWrNorm = 0x100;
inline constexpr uint16_t kPollWrBand = 0x200;
inline constexpr uint16_t kPollRdHup = 0x2000;

// Signals the file layer raises.
inline constexpr int kSigInt = 2;
inline constexpr int kSigQuit = 3;
inline constexpr int kSigPipe = 13;
inline constexpr int kSigTstp = 20;

}  // namespace kernel::fs

#endif  // KERNEL_FS_LINUX_ABI_H_
