// ext2 (revision 1, as `mke2fs -t ext2` makes it) over a BufferCache: the
// on-disk format parsed through bounds-checked little-endian views, and the
// file-system operations on inode numbers that a VFS adapter calls.
//
// Layout (see ../shared/reference and the e2fsprogs documentation): block 0
// (or the first 1 KiB of it) is unused, the superblock is the 1024 bytes at
// byte 1024, the group descriptor table follows in the next block; each group
// has a block bitmap, an inode bitmap and an inode table. Files map logical
// blocks through 12 direct pointers and single, double and triple indirect
// blocks; a pointer of 0 is a hole. Directories are blocks of linked records
// (inode, rec_len, name_len, file_type, name).
//
// Supported features: incompat FILETYPE only (anything else, e.g. extents,
// journal recovery, meta_bg, 64bit, is refused with EINVAL); ro_compat
// SPARSE_SUPER and LARGE_FILE (others make a read-write mount EINVAL and a
// read-only one fine); compat features (ext_attr, resize_inode, dir_index)
// are preserved and ignored, as Linux's ext2 driver does. A directory with
// the htree index flag loses the flag when modified (its blocks stay valid
// linear directory blocks).
//
// Corrupt metadata never panics: a bad superblock is EINVAL at mount; a bad
// group descriptor, inode, directory record or block pointer found later is
// EIO (and the operation stops without writing). Device errors come back
// as the device reported them (EIO from virtio-blk).
//
// Not synchronized: the caller (one lock per mounted file system) serializes
// calls. Pure logic, tested on the host against images made by mke2fs.
#ifndef KERNEL_FS_EXT2_EXT2_H_
#define KERNEL_FS_EXT2_EXT2_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/block_io.h"
#include "kernel/fs/buffer_cache.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::fs::ext2 {

inline constexpr uint16_t kMagic = 0xef53;
inline constexpr uint32_t kRootIno = 2;
inline constexpr size_t kNameMax = 255;
// Feature bits this driver knows.
inline constexpr uint32_t kIncompatFiletype = 0x2;
inline constexpr uint32_t kRoCompatSparseSuper = 0x1, kRoCompatLargeFile = 0x2,
                          kRoCompatBtreeDir = 0x4;
// Inode flag: the directory has an htree index.
inline constexpr uint32_t kIndexFl = 0x1000;

// S_IFMT values (mode >> 12) and directory-record file types.
inline constexpr uint16_t kIfmt = 0xf000, kIfreg = 0x8000, kIfdir = 0x4000, kIflnk = 0xa000,
                          kIfchr = 0x2000, kIfblk = 0x6000, kIfifo = 0x1000, kIfsock = 0xc000;
inline constexpr uint8_t kFtUnknown = 0, kFtReg = 1, kFtDir = 2, kFtChr = 3, kFtBlk = 4,
                         kFtFifo = 5, kFtSock = 6, kFtSymlink = 7;

// The record type for a mode's file type.
uint8_t FileTypeOf(uint16_t mode);

// The superblock fields the driver uses, parsed and checked.
struct Superblock {
  uint32_t inodes_count = 0;
  uint32_t blocks_count = 0;
  uint32_t free_blocks = 0;
  uint32_t free_inodes = 0;
  uint32_t first_data_block = 0;
  uint32_t block_size = 0;
  uint32_t blocks_per_group = 0;
  uint32_t inodes_per_group = 0;
  uint32_t first_ino = 0;
  uint32_t inode_size = 0;
  uint32_t feature_compat = 0;
  uint32_t feature_incompat = 0;
  uint32_t feature_ro_compat = 0;
  uint32_t groups = 0;
};

// Parses and checks the 1024-byte superblock: magic, revision 1 (revision 0
// too, with its fixed 128-byte inodes), block size 1-4 KiB, counts that fit
// the bitmaps and each other, known incompat features. EINVAL otherwise.
ostd::Result<Superblock> ParseSuperblock(std::span<const uint8_t> raw);

// One block group's descriptor.
struct GroupDesc {
  uint32_t block_bitmap = 0;
  uint32_t inode_bitmap = 0;
  uint32_t inode_table = 0;
  uint16_t free_blocks = 0;
  uint16_t free_inodes = 0;
  uint16_t used_dirs = 0;
};

// Parses the 32-byte descriptor of group `g` and checks that its bitmaps and
// inode table lie inside the file system. EIO otherwise.
ostd::Result<GroupDesc> ParseGroupDesc(std::span<const uint8_t> raw, const Superblock& sb);

// The fields of an on-disk inode the driver uses (the first 128 bytes).
struct Inode {
  uint16_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint32_t atime = 0, ctime = 0, mtime = 0, dtime = 0;
  uint16_t links = 0;
  uint32_t blocks = 0;  // 512-byte units, indirect blocks included
  uint32_t flags = 0;
  std::array<uint32_t, 15> block = {};
  uint32_t generation = 0;
  uint32_t file_acl = 0;

  bool is_dir() const { return (mode & kIfmt) == kIfdir; }
  bool is_reg() const { return (mode & kIfmt) == kIfreg; }
  bool is_symlink() const { return (mode & kIfmt) == kIflnk; }
  // A symlink whose target lives in `block` (no data block).
  bool is_fast_symlink() const { return is_symlink() && blocks == 0 && file_acl == 0; }
  bool is_device() const;
  // The device number of a character/block device (Linux's old 8:8 encoding
  // in block[0], or the new one in block[1]).
  uint32_t dev_major() const;
  uint32_t dev_minor() const;
};

// Parses a 128-byte (or longer) on-disk inode. Device inodes keep their
// number in block[0]/block[1].
Inode ParseInode(std::span<const uint8_t> raw);
// Writes the fields of `ino` into the first 128 bytes of `raw`, keeping the
// bytes the driver does not model (fragment fields, extra space).
void SerializeInode(const Inode& ino, std::span<uint8_t> raw);

// What ReadDir reports for each record.
class DirVisitor {
 public:
  virtual ~DirVisitor() = default;
  // Returns false to stop; `next` is the cookie of the following record.
  virtual bool Visit(std::string_view name, uint32_t ino, uint8_t type, uint64_t next) = 0;
};

// A mounted ext2 file system.
class Volume {
 public:
  // Reads and checks the superblock and group descriptors of `dev`, with a
  // cache of `cache_blocks` blocks. EINVAL for a bad superblock or
  // unsupported features (any unknown ro_compat feature unless `read_only`);
  // EIO for bad group descriptors or device errors. A writable mount marks
  // the file system not clean until Unmount/Sync writes it back clean.
  static ostd::Result<Volume> Mount(BlockDevice& dev, bool read_only, size_t cache_blocks,
                                    uint32_t now);

  Volume(Volume&&) noexcept = default;
  Volume& operator=(Volume&&) noexcept = default;

  const Superblock& superblock() const { return sb_; }
  bool read_only() const { return read_only_; }
  const BufferCacheStats& cache_stats() const { return cache_.stats(); }

  // The inode `ino`. EIO for a number out of range or an inode whose block
  // pointers, size or type are invalid.
  ostd::Result<Inode> GetInode(uint32_t ino);
  // Writes `inode` back (mode, owners, times, links; not size or blocks,
  // which the data operations keep).
  ostd::Status PutInode(uint32_t ino, const Inode& inode);

  // Reads up to dst.size() bytes at `offset` of a regular file or symlink;
  // holes read as zeros. Returns the bytes read (0 at or past the end).
  ostd::Result<size_t> Read(uint32_t ino, uint64_t offset, std::span<uint8_t> dst);
  // Writes `src` at `offset`, allocating blocks (and indirect blocks) as
  // needed and growing the size. ENOSPC when the disk is full (what was
  // written stays), EFBIG past the largest mappable offset.
  ostd::Result<size_t> Write(uint32_t ino, uint64_t offset, std::span<const uint8_t> src,
                             uint32_t now);
  // Sets the size, freeing blocks past it (and emptied indirect blocks) or
  // leaving a hole when growing.
  ostd::Status Truncate(uint32_t ino, uint64_t size, uint32_t now);

  // The inode `name` names in directory `dir`. ENOENT, ENOTDIR,
  // ENAMETOOLONG.
  ostd::Result<uint32_t> Lookup(uint32_t dir, std::string_view name);
  // Reports the records of `dir` from `cookie` (0: the start; a record's
  // byte offset otherwise). Returns the cookie after the last one reported.
  ostd::Result<uint64_t> ReadDir(uint32_t dir, uint64_t cookie, DirVisitor& visitor);
  // A new inode of `mode` (any file type but directory and symlink; use
  // Mkdir/Symlink) named `name` in `dir`. EEXIST, ENOSPC, ENAMETOOLONG.
  ostd::Result<uint32_t> Create(uint32_t dir, std::string_view name, uint16_t mode, uint32_t uid,
                                uint32_t gid, uint32_t major, uint32_t minor, uint32_t now);
  ostd::Result<uint32_t> Mkdir(uint32_t dir, std::string_view name, uint16_t perm, uint32_t uid,
                               uint32_t gid, uint32_t now);
  ostd::Result<uint32_t> Symlink(uint32_t dir, std::string_view name, std::string_view target,
                                 uint32_t uid, uint32_t gid, uint32_t now);
  // Copies a symlink's target into `buf` (truncated to fit); returns its
  // length copied. EINVAL for a non-symlink.
  ostd::Result<size_t> ReadLink(uint32_t ino, std::span<char> buf);
  // A new name for `target` (not a directory: EPERM). EMLINK at 65000 links.
  ostd::Status Link(uint32_t dir, std::string_view name, uint32_t target, uint32_t now);
  // Removes `name` (not a directory: EISDIR) and drops a link. Returns the
  // inode, whose data stays until Release when its link count is 0.
  ostd::Result<uint32_t> Unlink(uint32_t dir, std::string_view name, uint32_t now);
  // Removes the empty directory `name` (ENOTEMPTY, ENOTDIR, ENOENT; EINVAL
  // for "." and ".."; the VFS checks mount points). Returns its inode (now
  // with 0 links).
  ostd::Result<uint32_t> Rmdir(uint32_t dir, std::string_view name, uint32_t now);
  // Moves `old_name` in `old_dir` to `new_name` in `new_dir`, replacing a
  // compatible target (EISDIR, ENOTDIR, ENOTEMPTY otherwise; EINVAL when a
  // directory would move under itself). Returns the replaced inode (0 if
  // none), which the caller releases if its link count is 0.
  ostd::Result<uint32_t> Rename(uint32_t old_dir, std::string_view old_name, uint32_t new_dir,
                                std::string_view new_name, uint32_t now);
  // Frees an inode with no links left: its blocks and its number.
  ostd::Status Release(uint32_t ino, uint32_t now);

  // Writes the superblock, the group descriptors and every dirty block, and
  // flushes the device. `clean` marks the file system cleanly unmounted.
  ostd::Status Sync(bool clean);

 private:
  Volume(BufferCache cache, const Superblock& sb, bool read_only)
      : cache_(std::move(cache)), sb_(sb), read_only_(read_only) {}

  // Byte position of the superblock inside its block, and that block.
  uint64_t SbBlock() const { return sb_.block_size == 1024 ? 1 : 0; }
  size_t SbOffset() const { return sb_.block_size == 1024 ? 0 : 1024; }
  uint64_t GdtBlock() const { return sb_.first_data_block + 1; }
  uint32_t PtrsPerBlock() const { return sb_.block_size / 4; }
  bool BlockOk(uint32_t b) const { return b >= sb_.first_data_block && b < sb_.blocks_count; }
  ostd::Status CheckWritable() const;
  ostd::Status WriteGroup(uint32_t g);
  ostd::Status WriteSuper(bool clean);
  ostd::Status RawPutInode(uint32_t ino, const Inode& inode);

  ostd::Result<uint32_t> ReadPtr(uint32_t block, uint32_t index);
  ostd::Status WritePtr(uint32_t block, uint32_t index, uint32_t value);
  // The physical block of logical block `lbn` (0: hole). With `alloc`, fills
  // holes (and missing indirect blocks) and updates `inode.blocks`.
  ostd::Result<uint32_t> MapBlock(uint32_t ino, Inode& inode, uint64_t lbn, bool alloc);
  ostd::Result<uint32_t> AllocBlock(uint32_t goal_group);
  ostd::Status FreeBlock(uint32_t b);
  ostd::Result<uint32_t> AllocInode(uint32_t goal_group, bool dir);
  ostd::Status FreeInode(uint32_t ino, bool dir);
  // Frees every block of the subtree under pointer `b` at `level` (0: data)
  // that maps logical blocks >= `keep` (relative to the subtree start).
  // Returns whether the whole subtree was freed.
  ostd::Result<bool> FreeTree(Inode& inode, uint32_t b, int level, uint64_t keep);
  ostd::Status FreeBlocksFrom(Inode& inode, uint64_t first_lbn);

  // Directory records.
  struct Found {
    uint32_t ino = 0;
    uint8_t type = 0;
    uint64_t block = 0;  // physical
    size_t offset = 0;   // of the record in the block
    size_t prev = 0;     // of the previous record (== offset if first)
  };
  ostd::Result<Inode> GetDir(uint32_t dir);
  ostd::Result<Found> Find(uint32_t dir, const Inode& d, std::string_view name);
  ostd::Status AddEntry(uint32_t dir, std::string_view name, uint32_t ino, uint8_t type,
                        uint32_t now);
  ostd::Status RemoveEntry(const Found& f);
  ostd::Status SetEntryIno(const Found& f, uint32_t ino, uint8_t type);
  ostd::Result<bool> IsEmptyDir(uint32_t dir);
  // Undoes NewInode after a later step failed: drops the links and
  // releases the inode and any blocks it got.
  ostd::Status Abandon(uint32_t ino, uint32_t now);
  ostd::Result<uint32_t> NewInode(uint32_t dir, uint16_t mode, uint32_t uid, uint32_t gid,
                                  uint32_t now);

  BufferCache cache_;
  Superblock sb_;
  bool read_only_;
  ostd::Vec<GroupDesc> groups_;
  // Per group: the bit after the block last allocated there (where the next
  // search starts; a hint, not a promise).
  ostd::Vec<uint32_t> block_hint_;
};

}  // namespace kernel::fs::ext2

#endif  // KERNEL_FS_EXT2_EXT2_H_
