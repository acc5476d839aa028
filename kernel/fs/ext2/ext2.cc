#include "kernel/fs/ext2/ext2.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "ostd/util/span_copy.h"

namespace kernel::fs::ext2 {

using ostd::Err;
using ostd::Errno;

namespace {

// Little-endian fields at a byte offset; out of range reads 0 and writes
// nothing (the callers size their views, so this only guards mistakes).
uint16_t Le16(std::span<const uint8_t> b, size_t off) {
  if (off > b.size() || b.size() - off < 2) return 0;
  return static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
}
uint32_t Le32(std::span<const uint8_t> b, size_t off) {
  if (off > b.size() || b.size() - off < 4) return 0;
  return static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
         (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
}
void Put16(std::span<uint8_t> b, size_t off, uint16_t v) {
  if (off > b.size() || b.size() - off < 2) return;
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void Put32(std::span<uint8_t> b, size_t off, uint32_t v) {
  if (off > b.size() || b.size() - off < 4) return;
  for (size_t i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

constexpr size_t Align4(size_t v) { return (v + 3) & ~size_t{3}; }
constexpr uint32_t kMaxLinks = 65000;
constexpr size_t kInodeCore = 128;
constexpr size_t kFastSymlinkMax = 60;
constexpr uint32_t kGroupDescSize = 32;
constexpr uint16_t kStateValid = 1;

bool NameEquals(std::span<const uint8_t> name, std::string_view s) {
  if (name.size() != s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (name[i] != static_cast<uint8_t>(s[i])) return false;
  }
  return true;
}

uint64_t DivRoundUp(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

uint8_t FileTypeOf(uint16_t mode) {
  switch (mode & kIfmt) {
    case kIfreg:
      return kFtReg;
    case kIfdir:
      return kFtDir;
    case kIfchr:
      return kFtChr;
    case kIfblk:
      return kFtBlk;
    case kIfifo:
      return kFtFifo;
    case kIfsock:
      return kFtSock;
    case kIflnk:
      return kFtSymlink;
    default:
      return kFtUnknown;
  }
}

ostd::Result<Superblock> ParseSuperblock(std::span<const uint8_t> raw) {
  if (raw.size() < 1024) return Err(Errno::kEINVAL);
  if (Le16(raw, 56) != kMagic) return Err(Errno::kEINVAL);
  Superblock sb;
  uint32_t rev = Le32(raw, 76);
  if (rev > 1) return Err(Errno::kEINVAL);
  uint32_t log = Le32(raw, 24);
  if (log > 2) return Err(Errno::kEINVAL);
  sb.block_size = 1024u << log;
  sb.inodes_count = Le32(raw, 0);
  sb.blocks_count = Le32(raw, 4);
  sb.free_blocks = Le32(raw, 12);
  sb.free_inodes = Le32(raw, 16);
  sb.first_data_block = Le32(raw, 20);
  sb.blocks_per_group = Le32(raw, 32);
  sb.inodes_per_group = Le32(raw, 40);
  if (rev == 0) {
    sb.first_ino = 11;
    sb.inode_size = 128;
  } else {
    sb.first_ino = Le32(raw, 84);
    sb.inode_size = Le16(raw, 88);
    sb.feature_compat = Le32(raw, 92);
    sb.feature_incompat = Le32(raw, 96);
    sb.feature_ro_compat = Le32(raw, 100);
  }
  uint32_t bits = sb.block_size * 8;
  if (sb.first_data_block != (sb.block_size == 1024 ? 1u : 0u)) return Err(Errno::kEINVAL);
  if (sb.blocks_per_group < 8 || sb.blocks_per_group > bits) return Err(Errno::kEINVAL);
  if (sb.inodes_per_group == 0 || sb.inodes_per_group > bits) return Err(Errno::kEINVAL);
  if (sb.inode_size < kInodeCore || sb.inode_size > sb.block_size ||
      (sb.inode_size & (sb.inode_size - 1)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((sb.feature_incompat & ~kIncompatFiletype) != 0) return Err(Errno::kEINVAL);
  if (sb.blocks_count <= sb.first_data_block + 2) return Err(Errno::kEINVAL);
  sb.groups =
      static_cast<uint32_t>(DivRoundUp(sb.blocks_count - sb.first_data_block, sb.blocks_per_group));
  uint64_t gdt_blocks = DivRoundUp(uint64_t{sb.groups} * kGroupDescSize, sb.block_size);
  if (sb.first_data_block + 1 + gdt_blocks > sb.blocks_count) return Err(Errno::kEINVAL);
  if (sb.inodes_count == 0 ||
      uint64_t{sb.inodes_count} > uint64_t{sb.groups} * sb.inodes_per_group) {
    return Err(Errno::kEINVAL);
  }
  if (sb.first_ino <= kRootIno || sb.first_ino >= sb.inodes_count) return Err(Errno::kEINVAL);
  if (sb.free_blocks > sb.blocks_count || sb.free_inodes > sb.inodes_count) {
    return Err(Errno::kEINVAL);
  }
  return sb;
}

ostd::Result<GroupDesc> ParseGroupDesc(std::span<const uint8_t> raw, const Superblock& sb) {
  if (raw.size() < kGroupDescSize) return Err(Errno::kEIO);
  GroupDesc gd;
  gd.block_bitmap = Le32(raw, 0);
  gd.inode_bitmap = Le32(raw, 4);
  gd.inode_table = Le32(raw, 8);
  gd.free_blocks = Le16(raw, 12);
  gd.free_inodes = Le16(raw, 14);
  gd.used_dirs = Le16(raw, 16);
  auto in_fs = [&](uint64_t b) { return b > sb.first_data_block && b < sb.blocks_count; };
  uint64_t table_blocks = DivRoundUp(uint64_t{sb.inodes_per_group} * sb.inode_size, sb.block_size);
  if (!in_fs(gd.block_bitmap) || !in_fs(gd.inode_bitmap) || !in_fs(gd.inode_table) ||
      gd.inode_table + table_blocks > sb.blocks_count) {
    return Err(Errno::kEIO);
  }
  if (gd.free_blocks > sb.blocks_per_group || gd.free_inodes > sb.inodes_per_group ||
      gd.used_dirs > sb.inodes_per_group) {
    return Err(Errno::kEIO);
  }
  return gd;
}

bool Inode::is_device() const {
  uint16_t t = mode & kIfmt;
  return t == kIfchr || t == kIfblk;
}

uint32_t Inode::dev_major() const {
  if (block[0] != 0) return (block[0] >> 8) & 0xff;
  return (block[1] & 0xfff00) >> 8;
}

uint32_t Inode::dev_minor() const {
  if (block[0] != 0) return block[0] & 0xff;
  return (block[1] & 0xff) | ((block[1] >> 12) & 0xfff00);
}

Inode ParseInode(std::span<const uint8_t> raw) {
  Inode in;
  in.mode = Le16(raw, 0);
  in.uid = Le16(raw, 2) | (uint32_t{Le16(raw, 120)} << 16);
  in.size = Le32(raw, 4);
  if (in.is_reg()) in.size |= uint64_t{Le32(raw, 108)} << 32;
  in.atime = Le32(raw, 8);
  in.ctime = Le32(raw, 12);
  in.mtime = Le32(raw, 16);
  in.dtime = Le32(raw, 20);
  in.gid = Le16(raw, 24) | (uint32_t{Le16(raw, 122)} << 16);
  in.links = Le16(raw, 26);
  in.blocks = Le32(raw, 28);
  in.flags = Le32(raw, 32);
  for (size_t i = 0; i < in.block.size(); ++i) in.block[i] = Le32(raw, 40 + 4 * i);
  in.generation = Le32(raw, 100);
  in.file_acl = Le32(raw, 104);
  return in;
}

void SerializeInode(const Inode& in, std::span<uint8_t> raw) {
  Put16(raw, 0, in.mode);
  Put16(raw, 2, static_cast<uint16_t>(in.uid));
  Put32(raw, 4, static_cast<uint32_t>(in.size));
  Put32(raw, 8, in.atime);
  Put32(raw, 12, in.ctime);
  Put32(raw, 16, in.mtime);
  Put32(raw, 20, in.dtime);
  Put16(raw, 24, static_cast<uint16_t>(in.gid));
  Put16(raw, 26, in.links);
  Put32(raw, 28, in.blocks);
  Put32(raw, 32, in.flags);
  for (size_t i = 0; i < in.block.size(); ++i) Put32(raw, 40 + 4 * i, in.block[i]);
  Put32(raw, 100, in.generation);
  Put32(raw, 104, in.file_acl);
  if (in.is_reg()) Put32(raw, 108, static_cast<uint32_t>(in.size >> 32));
  Put16(raw, 120, static_cast<uint16_t>(in.uid >> 16));
  Put16(raw, 122, static_cast<uint16_t>(in.gid >> 16));
}

// --- Volume: mount, metadata ---

ostd::Result<Volume> Volume::Mount(BlockDevice& dev, bool read_only, size_t cache_blocks,
                                   uint32_t now) {
  if (dev.sectors() < 4) return Err(Errno::kEINVAL);
  ostd::Vec<uint8_t> raw;
  OSTD_TRY(raw.Resize(1024));
  OSTD_TRY(dev.ReadSectors(2, raw.span()));
  OSTD_TRY_ASSIGN(Superblock sb, ParseSuperblock(raw.span()));
  if (uint64_t{sb.blocks_count} * sb.block_size > dev.sectors() * kSectorSize) {
    return Err(Errno::kEINVAL);
  }
  bool ro = read_only || dev.read_only();
  if (!ro && (sb.feature_ro_compat &
              ~(kRoCompatSparseSuper | kRoCompatLargeFile | kRoCompatBtreeDir)) != 0) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(BufferCache cache, BufferCache::Create(dev, sb.block_size, cache_blocks));
  Volume v(std::move(cache), sb, ro);
  OSTD_TRY(v.groups_.Reserve(sb.groups));
  OSTD_TRY(v.block_hint_.Resize(sb.groups));
  std::array<uint8_t, kGroupDescSize> gd_raw{};
  for (uint32_t g = 0; g < sb.groups; ++g) {
    uint64_t byte = uint64_t{g} * kGroupDescSize;
    OSTD_TRY(v.cache_.Read(v.GdtBlock() + byte / sb.block_size, byte % sb.block_size, gd_raw));
    OSTD_TRY_ASSIGN(GroupDesc gd, ParseGroupDesc(gd_raw, sb));
    OSTD_TRY(v.groups_.Push(gd));
  }
  if (!ro) {
    std::array<uint8_t, 4> t{};
    Put32(t, 0, now);
    OSTD_TRY(v.cache_.Write(v.SbBlock(), v.SbOffset() + 44, t));  // s_mtime
    OSTD_TRY(v.Sync(false));
  }
  return v;
}

ostd::Status Volume::CheckWritable() const {
  if (read_only_) return Err(Errno::kEROFS);
  return {};
}

ostd::Status Volume::WriteGroup(uint32_t g) {
  const GroupDesc& gd = groups_[g];
  std::array<uint8_t, 18> raw{};
  Put32(raw, 0, gd.block_bitmap);
  Put32(raw, 4, gd.inode_bitmap);
  Put32(raw, 8, gd.inode_table);
  Put16(raw, 12, gd.free_blocks);
  Put16(raw, 14, gd.free_inodes);
  Put16(raw, 16, gd.used_dirs);
  uint64_t byte = uint64_t{g} * kGroupDescSize;
  return cache_.Write(GdtBlock() + byte / sb_.block_size, byte % sb_.block_size, raw);
}

ostd::Status Volume::WriteSuper(bool clean) {
  size_t base = SbOffset();
  std::array<uint8_t, 8> counts{};
  Put32(counts, 0, sb_.free_blocks);
  Put32(counts, 4, sb_.free_inodes);
  OSTD_TRY(cache_.Write(SbBlock(), base + 12, counts));
  std::array<uint8_t, 2> state{};
  Put16(state, 0, clean ? kStateValid : 0);
  OSTD_TRY(cache_.Write(SbBlock(), base + 58, state));
  std::array<uint8_t, 4> ro{};
  Put32(ro, 0, sb_.feature_ro_compat);
  return cache_.Write(SbBlock(), base + 100, ro);
}

ostd::Status Volume::Sync(bool clean) {
  if (!read_only_) OSTD_TRY(WriteSuper(clean));
  if (read_only_) return {};
  return cache_.Sync();
}

ostd::Result<Inode> Volume::GetInode(uint32_t ino) {
  if (ino == 0 || ino > sb_.inodes_count) return Err(Errno::kEIO);
  uint32_t g = (ino - 1) / sb_.inodes_per_group;
  if (g >= groups_.size()) return Err(Errno::kEIO);
  uint64_t byte = uint64_t{(ino - 1) % sb_.inodes_per_group} * sb_.inode_size;
  std::array<uint8_t, kInodeCore> raw{};
  OSTD_TRY(cache_.Read(groups_[g].inode_table + byte / sb_.block_size, byte % sb_.block_size, raw));
  Inode in = ParseInode(raw);
  if (in.links == 0) return in;  // free or deleted: only Release looks at it
  uint16_t type = in.mode & kIfmt;
  if (FileTypeOf(in.mode) == kFtUnknown) return Err(Errno::kEIO);
  if (in.is_fast_symlink()) {
    if (in.size >= kFastSymlinkMax) return Err(Errno::kEIO);
    return in;
  }
  if (type == kIfreg || type == kIfdir || type == kIflnk) {
    for (uint32_t b : in.block) {
      if (b != 0 && !BlockOk(b)) return Err(Errno::kEIO);
    }
    if (in.is_dir() && in.size % sb_.block_size != 0) return Err(Errno::kEIO);
    if (in.is_symlink() && (in.size == 0 || in.size >= sb_.block_size)) return Err(Errno::kEIO);
  }
  return in;
}

ostd::Status Volume::RawPutInode(uint32_t ino, const Inode& in) {
  OSTD_TRY(CheckWritable());
  if (ino == 0 || ino > sb_.inodes_count) return Err(Errno::kEIO);
  uint32_t g = (ino - 1) / sb_.inodes_per_group;
  if (g >= groups_.size()) return Err(Errno::kEIO);
  uint64_t byte = uint64_t{(ino - 1) % sb_.inodes_per_group} * sb_.inode_size;
  uint64_t block = groups_[g].inode_table + byte / sb_.block_size;
  std::array<uint8_t, kInodeCore> raw{};
  OSTD_TRY(cache_.Read(block, byte % sb_.block_size, raw));
  SerializeInode(in, raw);
  return cache_.Write(block, byte % sb_.block_size, raw);
}

ostd::Status Volume::PutInode(uint32_t ino, const Inode& inode) {
  OSTD_TRY_ASSIGN(Inode cur, GetInode(ino));
  cur.mode = static_cast<uint16_t>((cur.mode & kIfmt) | (inode.mode & ~kIfmt));
  cur.uid = inode.uid;
  cur.gid = inode.gid;
  cur.atime = inode.atime;
  cur.mtime = inode.mtime;
  cur.ctime = inode.ctime;
  return RawPutInode(ino, cur);
}

// --- Block and inode allocation ---

namespace {

// The first clear bit of `bitmap` in [from, n) and then [0, from): whole
// bytes of set bits are skipped. n if every bit is set.
uint64_t FirstClearBit(std::span<const uint8_t> bitmap, uint64_t n, uint64_t from) {
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t lo = pass == 0 ? from : 0, hi = pass == 0 ? n : std::min(from, n);
    for (uint64_t bit = lo; bit < hi;) {
      uint8_t byte = bitmap[bit / 8];
      if (byte == 0xff && bit % 8 == 0) {
        bit += 8;
        continue;
      }
      if ((byte & (1u << (bit % 8))) == 0) return bit;
      ++bit;
    }
  }
  return n;
}

}  // namespace

ostd::Result<uint32_t> Volume::AllocBlock(uint32_t goal_group) {
  OSTD_TRY(CheckWritable());
  ostd::Vec<uint8_t> bitmap;
  OSTD_TRY(bitmap.Resize(sb_.block_size));
  for (uint32_t i = 0; i < sb_.groups; ++i) {
    uint32_t g = (goal_group + i) % sb_.groups;
    GroupDesc& gd = groups_[g];
    if (gd.free_blocks == 0) continue;
    uint64_t first = sb_.first_data_block + uint64_t{g} * sb_.blocks_per_group;
    uint64_t n = std::min<uint64_t>(sb_.blocks_per_group, sb_.blocks_count - first);
    OSTD_TRY(cache_.Read(gd.block_bitmap, 0, bitmap.span()));
    // From where the last allocation in this group ended: a file written
    // sequentially gets consecutive blocks without rescanning the full ones.
    uint64_t hint = g < block_hint_.size() ? block_hint_[g] : 0;
    uint64_t bit = FirstClearBit(bitmap.span(), n, hint < n ? hint : 0);
    if (bit == n) continue;  // the free count was wrong: try the next group
    uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
    bitmap[bit / 8] = static_cast<uint8_t>(bitmap[bit / 8] | mask);
    OSTD_TRY(cache_.Write(gd.block_bitmap, bit / 8,
                          std::span<const uint8_t>(bitmap.span()).subspan(bit / 8, 1)));
    if (g < block_hint_.size()) block_hint_[g] = static_cast<uint32_t>(bit + 1);
    --gd.free_blocks;
    if (sb_.free_blocks > 0) --sb_.free_blocks;
    OSTD_TRY(WriteGroup(g));
    uint32_t b = static_cast<uint32_t>(first + bit);
    OSTD_TRY(cache_.Zero(b));
    return b;
  }
  return Err(Errno::kENOSPC);
}

ostd::Status Volume::FreeBlock(uint32_t b) {
  if (!BlockOk(b)) return Err(Errno::kEIO);
  uint32_t rel = b - sb_.first_data_block;
  uint32_t g = rel / sb_.blocks_per_group, bit = rel % sb_.blocks_per_group;
  if (g >= groups_.size()) return Err(Errno::kEIO);
  GroupDesc& gd = groups_[g];
  std::array<uint8_t, 1> byte{};
  OSTD_TRY(cache_.Read(gd.block_bitmap, bit / 8, byte));
  uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
  if ((byte[0] & mask) == 0) return Err(Errno::kEIO);  // already free: corrupt map
  byte[0] = static_cast<uint8_t>(byte[0] & ~mask);
  OSTD_TRY(cache_.Write(gd.block_bitmap, bit / 8, byte));
  ++gd.free_blocks;
  ++sb_.free_blocks;
  return WriteGroup(g);
}

ostd::Result<uint32_t> Volume::AllocInode(uint32_t goal_group, bool dir) {
  OSTD_TRY(CheckWritable());
  ostd::Vec<uint8_t> bitmap;
  OSTD_TRY(bitmap.Resize(sb_.block_size));
  for (uint32_t i = 0; i < sb_.groups; ++i) {
    uint32_t g = (goal_group + i) % sb_.groups;
    GroupDesc& gd = groups_[g];
    if (gd.free_inodes == 0) continue;
    OSTD_TRY(cache_.Read(gd.inode_bitmap, 0, bitmap.span()));
    for (uint32_t bit = 0; bit < sb_.inodes_per_group; ++bit) {
      uint64_t ino = uint64_t{g} * sb_.inodes_per_group + bit + 1;
      if (ino > sb_.inodes_count) break;
      uint8_t& byte = bitmap[bit / 8];
      uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
      if ((byte & mask) != 0 || ino < sb_.first_ino) continue;
      byte |= mask;
      OSTD_TRY(cache_.Write(gd.inode_bitmap, bit / 8,
                            std::span<const uint8_t>(bitmap.span()).subspan(bit / 8, 1)));
      --gd.free_inodes;
      if (dir) ++gd.used_dirs;
      if (sb_.free_inodes > 0) --sb_.free_inodes;
      OSTD_TRY(WriteGroup(g));
      return static_cast<uint32_t>(ino);
    }
  }
  return Err(Errno::kENOSPC);
}

ostd::Status Volume::FreeInode(uint32_t ino, bool dir) {
  if (ino < sb_.first_ino || ino > sb_.inodes_count) return Err(Errno::kEIO);
  uint32_t g = (ino - 1) / sb_.inodes_per_group, bit = (ino - 1) % sb_.inodes_per_group;
  GroupDesc& gd = groups_[g];
  std::array<uint8_t, 1> byte{};
  OSTD_TRY(cache_.Read(gd.inode_bitmap, bit / 8, byte));
  uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
  if ((byte[0] & mask) == 0) return Err(Errno::kEIO);
  byte[0] = static_cast<uint8_t>(byte[0] & ~mask);
  OSTD_TRY(cache_.Write(gd.inode_bitmap, bit / 8, byte));
  ++gd.free_inodes;
  if (dir && gd.used_dirs > 0) --gd.used_dirs;
  ++sb_.free_inodes;
  return WriteGroup(g);
}

// --- Block maps ---

ostd::Result<uint32_t> Volume::ReadPtr(uint32_t block, uint32_t index) {
  std::array<uint8_t, 4> raw{};
  OSTD_TRY(cache_.Read(block, size_t{index} * 4, raw));
  uint32_t v = Le32(raw, 0);
  if (v != 0 && !BlockOk(v)) return Err(Errno::kEIO);
  return v;
}

ostd::Status Volume::WritePtr(uint32_t block, uint32_t index, uint32_t value) {
  std::array<uint8_t, 4> raw{};
  Put32(raw, 0, value);
  return cache_.Write(block, size_t{index} * 4, raw);
}

ostd::Result<uint32_t> Volume::MapBlock(uint32_t ino, Inode& inode, uint64_t lbn, bool alloc) {
  uint64_t ppb = PtrsPerBlock();
  uint32_t goal = (ino - 1) / sb_.inodes_per_group;
  uint32_t sectors_per_block = sb_.block_size / 512;
  std::array<uint32_t, 3> path{};
  int depth = 0;
  size_t slot = 0;
  if (lbn < 12) {
    slot = lbn;
  } else if ((lbn -= 12) < ppb) {
    slot = 12;
    depth = 1;
    path[0] = static_cast<uint32_t>(lbn);
  } else if ((lbn -= ppb) < ppb * ppb) {
    slot = 13;
    depth = 2;
    path[0] = static_cast<uint32_t>(lbn / ppb);
    path[1] = static_cast<uint32_t>(lbn % ppb);
  } else if ((lbn -= ppb * ppb) < ppb * ppb * ppb) {
    slot = 14;
    depth = 3;
    path[0] = static_cast<uint32_t>(lbn / (ppb * ppb));
    path[1] = static_cast<uint32_t>((lbn / ppb) % ppb);
    path[2] = static_cast<uint32_t>(lbn % ppb);
  } else {
    return Err(Errno::kEFBIG);
  }
  uint32_t cur = inode.block[slot];
  if (cur == 0) {
    if (!alloc) return uint32_t{0};
    OSTD_TRY_ASSIGN(cur, AllocBlock(goal));
    inode.block[slot] = cur;
    inode.blocks += sectors_per_block;
  }
  for (int level = 0; level < depth; ++level) {
    OSTD_TRY_ASSIGN(uint32_t next, ReadPtr(cur, path[level]));
    if (next == 0) {
      if (!alloc) return uint32_t{0};
      OSTD_TRY_ASSIGN(next, AllocBlock(goal));
      inode.blocks += sectors_per_block;
      OSTD_TRY(WritePtr(cur, path[level], next));
    }
    cur = next;
  }
  return cur;
}

ostd::Result<bool> Volume::FreeTree(Inode& inode, uint32_t b, int level, uint64_t keep) {
  uint32_t sectors_per_block = sb_.block_size / 512;
  if (level > 0) {
    uint64_t per = 1;
    for (int i = 1; i < level; ++i) per *= PtrsPerBlock();
    for (uint32_t i = 0; i < PtrsPerBlock(); ++i) {
      if ((i + 1) * per <= keep) continue;
      OSTD_TRY_ASSIGN(uint32_t child, ReadPtr(b, i));
      if (child == 0) continue;
      uint64_t child_keep = keep > i * per ? keep - i * per : 0;
      OSTD_TRY_ASSIGN(bool whole, FreeTree(inode, child, level - 1, child_keep));
      if (whole && keep != 0) OSTD_TRY(WritePtr(b, i, 0));
    }
    if (keep != 0) return false;
  }
  OSTD_TRY(FreeBlock(b));
  inode.blocks = inode.blocks >= sectors_per_block ? inode.blocks - sectors_per_block : 0;
  return true;
}

ostd::Status Volume::FreeBlocksFrom(Inode& inode, uint64_t first) {
  uint32_t sectors_per_block = sb_.block_size / 512;
  for (uint64_t i = first; i < 12; ++i) {
    if (inode.block[i] == 0) continue;
    OSTD_TRY(FreeBlock(inode.block[i]));
    inode.block[i] = 0;
    inode.blocks = inode.blocks >= sectors_per_block ? inode.blocks - sectors_per_block : 0;
  }
  uint64_t ppb = PtrsPerBlock();
  uint64_t base = 12, span = ppb;
  for (int level = 1; level <= 3; ++level) {
    size_t slot = 11 + static_cast<size_t>(level);
    if (first < base + span && inode.block[slot] != 0) {
      uint64_t keep = first > base ? first - base : 0;
      OSTD_TRY_ASSIGN(bool whole, FreeTree(inode, inode.block[slot], level, keep));
      if (whole) inode.block[slot] = 0;
    }
    base += span;
    span *= ppb;
  }
  return {};
}

// --- File data ---

ostd::Result<size_t> Volume::Read(uint32_t ino, uint64_t offset, std::span<uint8_t> dst) {
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  if (in.is_dir()) return Err(Errno::kEISDIR);
  if (!in.is_reg() && !in.is_symlink()) return Err(Errno::kEINVAL);
  if (in.is_fast_symlink()) return Err(Errno::kEINVAL);
  if (offset >= in.size) return size_t{0};
  uint64_t want = std::min<uint64_t>(dst.size(), in.size - offset);
  size_t done = 0;
  while (done < want) {
    uint64_t pos = offset + done;
    uint64_t lbn = pos / sb_.block_size;
    size_t boff = pos % sb_.block_size;
    size_t n = static_cast<size_t>(std::min<uint64_t>(want - done, sb_.block_size - boff));
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(ino, in, lbn, false));
    std::span<uint8_t> out = dst.subspan(done, n);
    if (phys == 0) {
      for (uint8_t& byte : out) byte = 0;
    } else {
      OSTD_TRY(cache_.Read(phys, boff, out));
    }
    done += n;
  }
  return done;
}

ostd::Result<size_t> Volume::Write(uint32_t ino, uint64_t offset, std::span<const uint8_t> src,
                                   uint32_t now) {
  OSTD_TRY(CheckWritable());
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  if (in.is_dir()) return Err(Errno::kEISDIR);
  if (!in.is_reg()) return Err(Errno::kEINVAL);
  uint64_t ppb = PtrsPerBlock();
  uint64_t max_blocks = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
  uint64_t limit = std::min<uint64_t>(max_blocks * sb_.block_size,
                                      uint64_t{0xffffffff} * 512 / sb_.block_size * sb_.block_size);
  if (src.empty()) return size_t{0};
  if (offset >= limit) return Err(Errno::kEFBIG);
  uint64_t want = std::min<uint64_t>(src.size(), limit - offset);
  size_t done = 0;
  ostd::Status failed;
  while (done < want) {
    uint64_t pos = offset + done;
    uint64_t lbn = pos / sb_.block_size;
    size_t boff = pos % sb_.block_size;
    size_t n = static_cast<size_t>(std::min<uint64_t>(want - done, sb_.block_size - boff));
    ostd::Result<uint32_t> phys = MapBlock(ino, in, lbn, true);
    if (!phys) {
      failed = Err(phys.error());
      break;
    }
    ostd::Status st = cache_.Write(*phys, boff, src.subspan(done, n), /*file_data=*/true);
    if (!st) {
      failed = st;
      break;
    }
    done += n;
  }
  if (offset + done > in.size) {
    in.size = offset + done;
    if (in.size > 0x7fffffff && (sb_.feature_ro_compat & kRoCompatLargeFile) == 0) {
      sb_.feature_ro_compat |= kRoCompatLargeFile;
      OSTD_TRY(WriteSuper(false));
    }
  }
  in.mtime = in.ctime = now;
  OSTD_TRY(RawPutInode(ino, in));
  if (done == 0 && !failed) return Err(failed.error());
  return done;
}

ostd::Status Volume::Truncate(uint32_t ino, uint64_t size, uint32_t now) {
  OSTD_TRY(CheckWritable());
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  if (in.is_dir()) return Err(Errno::kEISDIR);
  if (!in.is_reg()) return Err(Errno::kEINVAL);
  uint64_t ppb = PtrsPerBlock();
  uint64_t max_blocks = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
  if (size > max_blocks * sb_.block_size) return Err(Errno::kEFBIG);
  if (size < in.size) {
    OSTD_TRY(FreeBlocksFrom(in, DivRoundUp(size, sb_.block_size)));
    size_t tail = size % sb_.block_size;
    if (tail != 0) {
      OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(ino, in, size / sb_.block_size, false));
      if (phys != 0) {
        ostd::Vec<uint8_t> zeros;
        OSTD_TRY(zeros.Resize(sb_.block_size - tail));
        OSTD_TRY(cache_.Write(phys, tail, zeros.span()));
      }
    }
  }
  in.size = size;
  if (in.size > 0x7fffffff && (sb_.feature_ro_compat & kRoCompatLargeFile) == 0) {
    sb_.feature_ro_compat |= kRoCompatLargeFile;
    OSTD_TRY(WriteSuper(false));
  }
  in.mtime = in.ctime = now;
  return RawPutInode(ino, in);
}

// --- Directories ---

ostd::Result<Inode> Volume::GetDir(uint32_t dir) {
  OSTD_TRY_ASSIGN(Inode d, GetInode(dir));
  if (d.links == 0) return Err(Errno::kENOENT);
  if (!d.is_dir()) return Err(Errno::kENOTDIR);
  return d;
}

namespace {

// One directory record, checked against its block.
struct Record {
  uint32_t ino = 0;
  size_t rec_len = 0;
  size_t name_len = 0;
  uint8_t type = 0;
};

ostd::Result<Record> ParseRecord(std::span<const uint8_t> block, size_t off, bool filetype) {
  Record r;
  r.ino = Le32(block, off);
  r.rec_len = Le16(block, off + 4);
  if (filetype) {
    r.name_len = Le16(block, off + 6) & 0xff;
    r.type = static_cast<uint8_t>(Le16(block, off + 6) >> 8);
  } else {
    r.name_len = Le16(block, off + 6);
  }
  if (r.rec_len < 8 || r.rec_len % 4 != 0 || off + r.rec_len > block.size() ||
      8 + r.name_len > r.rec_len || r.name_len > kNameMax) {
    return Err(Errno::kEIO);
  }
  return r;
}

void PutRecord(std::span<uint8_t> block, size_t off, uint32_t ino, size_t rec_len,
               std::string_view name, uint8_t type, bool filetype) {
  Put32(block, off, ino);
  Put16(block, off + 4, static_cast<uint16_t>(rec_len));
  uint16_t nl = static_cast<uint16_t>(name.size());
  Put16(block, off + 6, filetype ? static_cast<uint16_t>(nl | (type << 8)) : nl);
  for (size_t i = 0; i < name.size() && off + 8 + i < block.size(); ++i) {
    block[off + 8 + i] = static_cast<uint8_t>(name[i]);
  }
}

}  // namespace

ostd::Result<Volume::Found> Volume::Find(uint32_t dir, const Inode& d, std::string_view name) {
  Inode dd = d;
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  for (uint64_t lbn = 0; lbn < dd.size / sb_.block_size; ++lbn) {
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(dir, dd, lbn, false));
    if (phys == 0) return Err(Errno::kEIO);
    // Scanned in place in the cache: a lookup copies no block.
    OSTD_TRY_ASSIGN(
        std::optional<Found> hit,
        cache_.Visit(phys,
                     [&](std::span<const uint8_t> block) -> ostd::Result<std::optional<Found>> {
                       size_t prev = 0;
                       for (size_t off = 0; off < block.size();) {
                         OSTD_TRY_ASSIGN(Record r, ParseRecord(block, off, ft));
                         if (r.ino != 0 && NameEquals(block.subspan(off + 8, r.name_len), name)) {
                           return std::optional<Found>(Found{r.ino, r.type, phys, off, prev});
                         }
                         prev = off;
                         off += r.rec_len;
                       }
                       return std::optional<Found>();
                     }));
    if (hit) {
      if (hit->ino > sb_.inodes_count) return Err(Errno::kEIO);
      return *hit;
    }
  }
  return Err(Errno::kENOENT);
}

ostd::Result<uint32_t> Volume::Lookup(uint32_t dir, std::string_view name) {
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  OSTD_TRY_ASSIGN(Found f, Find(dir, d, name));
  return f.ino;
}

ostd::Result<uint64_t> Volume::ReadDir(uint32_t dir, uint64_t cookie, DirVisitor& visitor) {
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(sb_.block_size));
  std::array<char, kNameMax> name{};
  for (uint64_t lbn = cookie / sb_.block_size; lbn < d.size / sb_.block_size; ++lbn) {
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(dir, d, lbn, false));
    if (phys == 0) return Err(Errno::kEIO);
    OSTD_TRY(cache_.Read(phys, 0, buf.span()));
    for (size_t off = 0; off < sb_.block_size;) {
      OSTD_TRY_ASSIGN(Record r, ParseRecord(buf.span(), off, ft));
      uint64_t here = lbn * sb_.block_size + off;
      uint64_t next = here + r.rec_len;
      if (here >= cookie && r.ino != 0) {
        if (r.ino > sb_.inodes_count) return Err(Errno::kEIO);
        for (size_t i = 0; i < r.name_len; ++i) name[i] = static_cast<char>(buf[off + 8 + i]);
        std::string_view n(std::span<const char>(name).first(r.name_len));
        if (!visitor.Visit(n, r.ino, r.type, next)) return here;
      }
      off += r.rec_len;
      cookie = std::max(cookie, here);
    }
  }
  return d.size;
}

ostd::Status Volume::AddEntry(uint32_t dir, std::string_view name, uint32_t ino, uint8_t type,
                              uint32_t now) {
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  size_t need = Align4(8 + name.size());
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(sb_.block_size));
  bool placed = false;
  for (uint64_t lbn = 0; lbn < d.size / sb_.block_size && !placed; ++lbn) {
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(dir, d, lbn, false));
    if (phys == 0) return Err(Errno::kEIO);
    // Whether the block has room, checked in place; only a block that has
    // is copied out, changed and written back.
    OSTD_TRY_ASSIGN(bool room,
                    cache_.Visit(phys, [&](std::span<const uint8_t> block) -> ostd::Result<bool> {
                      for (size_t off = 0; off < block.size();) {
                        OSTD_TRY_ASSIGN(Record r, ParseRecord(block, off, ft));
                        size_t used = r.ino != 0 ? Align4(8 + r.name_len) : 0;
                        if (r.rec_len - used >= need) return true;
                        off += r.rec_len;
                      }
                      return false;
                    }));
    if (!room) continue;
    OSTD_TRY(cache_.Read(phys, 0, buf.span()));
    for (size_t off = 0; off < sb_.block_size;) {
      OSTD_TRY_ASSIGN(Record r, ParseRecord(buf.span(), off, ft));
      size_t used = r.ino != 0 ? Align4(8 + r.name_len) : 0;
      if (r.rec_len - used >= need) {
        if (r.ino == 0) {
          PutRecord(buf.span(), off, ino, r.rec_len, name, type, ft);
        } else {
          Put16(buf.span(), off + 4, static_cast<uint16_t>(used));
          PutRecord(buf.span(), off + used, ino, r.rec_len - used, name, type, ft);
        }
        OSTD_TRY(cache_.Write(phys, 0, buf.span()));
        placed = true;
        break;
      }
      off += r.rec_len;
    }
  }
  if (!placed) {
    uint64_t lbn = d.size / sb_.block_size;
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(dir, d, lbn, true));
    for (uint8_t& byte : buf) byte = 0;
    PutRecord(buf.span(), 0, ino, sb_.block_size, name, type, ft);
    OSTD_TRY(cache_.Write(phys, 0, buf.span()));
    d.size += sb_.block_size;
  }
  d.flags &= ~kIndexFl;
  d.mtime = d.ctime = now;
  return RawPutInode(dir, d);
}

ostd::Status Volume::RemoveEntry(const Found& f) {
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(sb_.block_size));
  OSTD_TRY(cache_.Read(f.block, 0, buf.span()));
  OSTD_TRY_ASSIGN(Record r, ParseRecord(buf.span(), f.offset, ft));
  if (f.prev != f.offset) {
    OSTD_TRY_ASSIGN(Record p, ParseRecord(buf.span(), f.prev, ft));
    Put16(buf.span(), f.prev + 4, static_cast<uint16_t>(p.rec_len + r.rec_len));
  } else {
    Put32(buf.span(), f.offset, 0);
  }
  return cache_.Write(f.block, 0, buf.span());
}

ostd::Status Volume::SetEntryIno(const Found& f, uint32_t ino, uint8_t type) {
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  std::array<uint8_t, 8> head{};
  OSTD_TRY(cache_.Read(f.block, f.offset, head));
  Put32(head, 0, ino);
  if (ft) head[7] = type;
  return cache_.Write(f.block, f.offset, head);
}

ostd::Result<bool> Volume::IsEmptyDir(uint32_t dir) {
  class Probe final : public DirVisitor {
   public:
    bool Visit(std::string_view name, uint32_t, uint8_t, uint64_t) override {
      if (name == "." || name == "..") return true;
      empty = false;
      return false;
    }
    bool empty = true;
  } probe;
  OSTD_TRY(ReadDir(dir, 0, probe));
  return probe.empty;
}

ostd::Result<uint32_t> Volume::NewInode(uint32_t dir, uint16_t mode, uint32_t uid, uint32_t gid,
                                        uint32_t now) {
  bool is_dir = (mode & kIfmt) == kIfdir;
  OSTD_TRY_ASSIGN(uint32_t ino, AllocInode((dir - 1) / sb_.inodes_per_group, is_dir));
  uint32_t g = (ino - 1) / sb_.inodes_per_group;
  uint64_t byte = uint64_t{(ino - 1) % sb_.inodes_per_group} * sb_.inode_size;
  ostd::Vec<uint8_t> zeros;
  OSTD_TRY(zeros.Resize(sb_.inode_size));
  uint64_t block = groups_[g].inode_table + byte / sb_.block_size;
  OSTD_TRY_ASSIGN(Inode old, GetInode(ino));
  OSTD_TRY(cache_.Write(block, byte % sb_.block_size, zeros.span()));
  Inode in;
  in.mode = mode;
  in.uid = uid;
  in.gid = gid;
  in.atime = in.ctime = in.mtime = now;
  in.links = is_dir ? 2 : 1;
  in.generation = old.generation + 1;
  OSTD_TRY(RawPutInode(ino, in));
  return ino;
}

ostd::Result<uint32_t> Volume::Create(uint32_t dir, std::string_view name, uint16_t mode,
                                      uint32_t uid, uint32_t gid, uint32_t major, uint32_t minor,
                                      uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  uint16_t type = mode & kIfmt;
  if (type == kIfdir || type == kIflnk || FileTypeOf(mode) == kFtUnknown) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  ostd::Result<Found> existing = Find(dir, d, name);
  if (existing) return Err(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Err(existing.error());
  OSTD_TRY_ASSIGN(uint32_t ino, NewInode(dir, mode, uid, gid, now));
  if (type == kIfchr || type == kIfblk) {
    OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
    if (major < 256 && minor < 256) {
      in.block[0] = (major << 8) | minor;
    } else {
      in.block[1] = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
    }
    OSTD_TRY(RawPutInode(ino, in));
  }
  ostd::Status st = AddEntry(dir, name, ino, FileTypeOf(mode), now);
  if (!st) {
    OSTD_TRY(Abandon(ino, now));
    return Err(st.error());
  }
  return ino;
}

ostd::Result<uint32_t> Volume::Mkdir(uint32_t dir, std::string_view name, uint16_t perm,
                                     uint32_t uid, uint32_t gid, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  ostd::Result<Found> existing = Find(dir, d, name);
  if (existing) return Err(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Err(existing.error());
  if (d.links >= kMaxLinks) return Err(Errno::kEMLINK);
  OSTD_TRY_ASSIGN(uint32_t ino,
                  NewInode(dir, static_cast<uint16_t>(kIfdir | (perm & 07777)), uid, gid, now));
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  ostd::Result<uint32_t> phys = MapBlock(ino, in, 0, true);
  if (!phys) {
    OSTD_TRY(RawPutInode(ino, in));  // the blocks MapBlock took, if any
    OSTD_TRY(Abandon(ino, now));
    return Err(phys.error());
  }
  bool ft = (sb_.feature_incompat & kIncompatFiletype) != 0;
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(sb_.block_size));
  PutRecord(buf.span(), 0, ino, 12, ".", kFtDir, ft);
  PutRecord(buf.span(), 12, dir, sb_.block_size - 12, "..", kFtDir, ft);
  OSTD_TRY(cache_.Write(*phys, 0, buf.span()));
  in.size = sb_.block_size;
  OSTD_TRY(RawPutInode(ino, in));
  ostd::Status st = AddEntry(dir, name, ino, kFtDir, now);
  if (!st) {
    OSTD_TRY(Abandon(ino, now));
    return Err(st.error());
  }
  OSTD_TRY_ASSIGN(d, GetDir(dir));
  ++d.links;
  OSTD_TRY(RawPutInode(dir, d));
  return ino;
}

ostd::Result<uint32_t> Volume::Symlink(uint32_t dir, std::string_view name, std::string_view target,
                                       uint32_t uid, uint32_t gid, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  if (target.empty()) return Err(Errno::kENOENT);
  if (target.size() >= sb_.block_size) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  ostd::Result<Found> existing = Find(dir, d, name);
  if (existing) return Err(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Err(existing.error());
  OSTD_TRY_ASSIGN(uint32_t ino, NewInode(dir, kIflnk | 0777, uid, gid, now));
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  ostd::Vec<uint8_t> bytes;
  OSTD_TRY(bytes.Resize(target.size()));
  for (size_t i = 0; i < target.size(); ++i) bytes[i] = static_cast<uint8_t>(target[i]);
  if (target.size() < kFastSymlinkMax) {
    std::array<uint8_t, kFastSymlinkMax> raw{};
    ostd::CopyBytes(bytes.span(), raw);
    for (size_t i = 0; i < in.block.size(); ++i) in.block[i] = Le32(raw, 4 * i);
  } else {
    ostd::Result<uint32_t> phys = MapBlock(ino, in, 0, true);
    ostd::Status st = phys ? cache_.Write(*phys, 0, bytes.span()) : Err(phys.error());
    if (!st) {
      OSTD_TRY(RawPutInode(ino, in));
      OSTD_TRY(Abandon(ino, now));
      return Err(st.error());
    }
  }
  in.size = target.size();
  OSTD_TRY(RawPutInode(ino, in));
  ostd::Status st = AddEntry(dir, name, ino, kFtSymlink, now);
  if (!st) {
    OSTD_TRY(Abandon(ino, now));
    return Err(st.error());
  }
  return ino;
}

ostd::Result<size_t> Volume::ReadLink(uint32_t ino, std::span<char> buf) {
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  if (!in.is_symlink()) return Err(Errno::kEINVAL);
  std::array<uint8_t, 4096> raw{};
  size_t len = static_cast<size_t>(std::min<uint64_t>(in.size, raw.size()));
  if (in.is_fast_symlink()) {
    for (size_t i = 0; i < in.block.size(); ++i) Put32(raw, 4 * i, in.block[i]);
  } else {
    OSTD_TRY_ASSIGN(uint32_t phys, MapBlock(ino, in, 0, false));
    if (phys == 0) return Err(Errno::kEIO);
    OSTD_TRY(cache_.Read(phys, 0, std::span(raw).first(len)));
  }
  size_t n = std::min(len, buf.size());
  for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(raw[i]);
  return n;
}

ostd::Status Volume::Link(uint32_t dir, std::string_view name, uint32_t target, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode t, GetInode(target));
  if (t.links == 0) return Err(Errno::kENOENT);
  if (t.is_dir()) return Err(Errno::kEPERM);
  if (t.links >= kMaxLinks) return Err(Errno::kEMLINK);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  ostd::Result<Found> existing = Find(dir, d, name);
  if (existing) return Err(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Err(existing.error());
  OSTD_TRY(AddEntry(dir, name, target, FileTypeOf(t.mode), now));
  ++t.links;
  t.ctime = now;
  return RawPutInode(target, t);
}

ostd::Result<uint32_t> Volume::Unlink(uint32_t dir, std::string_view name, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  OSTD_TRY_ASSIGN(Found f, Find(dir, d, name));
  OSTD_TRY_ASSIGN(Inode t, GetInode(f.ino));
  if (t.is_dir()) return Err(Errno::kEISDIR);
  if (t.links == 0) return Err(Errno::kEIO);
  OSTD_TRY(RemoveEntry(f));
  --t.links;
  t.ctime = now;
  OSTD_TRY(RawPutInode(f.ino, t));
  d.mtime = d.ctime = now;
  d.flags &= ~kIndexFl;
  OSTD_TRY(RawPutInode(dir, d));
  return f.ino;
}

ostd::Result<uint32_t> Volume::Rmdir(uint32_t dir, std::string_view name, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (name == ".") return Err(Errno::kEINVAL);
  if (name == "..") return Err(Errno::kENOTEMPTY);
  if (name.size() > kNameMax) return Err(Errno::kENAMETOOLONG);
  OSTD_TRY_ASSIGN(Inode d, GetDir(dir));
  OSTD_TRY_ASSIGN(Found f, Find(dir, d, name));
  OSTD_TRY_ASSIGN(Inode t, GetInode(f.ino));
  if (!t.is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY_ASSIGN(bool empty, IsEmptyDir(f.ino));
  if (!empty) return Err(Errno::kENOTEMPTY);
  OSTD_TRY(RemoveEntry(f));
  t.links = 0;
  t.ctime = now;
  OSTD_TRY(RawPutInode(f.ino, t));
  if (d.links > 2) --d.links;
  d.mtime = d.ctime = now;
  d.flags &= ~kIndexFl;
  OSTD_TRY(RawPutInode(dir, d));
  return f.ino;
}

ostd::Result<uint32_t> Volume::Rename(uint32_t old_dir, std::string_view old_name, uint32_t new_dir,
                                      std::string_view new_name, uint32_t now) {
  OSTD_TRY(CheckWritable());
  if (old_name.size() > kNameMax || new_name.size() > kNameMax) {
    return Err(Errno::kENAMETOOLONG);
  }
  if (old_name == "." || old_name == ".." || new_name == "." || new_name == "..") {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(Inode od, GetDir(old_dir));
  OSTD_TRY_ASSIGN(Inode nd, GetDir(new_dir));
  OSTD_TRY_ASSIGN(Found src, Find(old_dir, od, old_name));
  OSTD_TRY_ASSIGN(Inode s, GetInode(src.ino));
  if (old_dir == new_dir && old_name == new_name) return uint32_t{0};
  if (s.is_dir()) {
    // new_dir must not be src or under it: walk up through "..".
    uint32_t cur = new_dir;
    for (uint32_t steps = 0; cur != kRootIno; ++steps) {
      if (cur == src.ino) return Err(Errno::kEINVAL);
      if (steps > sb_.inodes_count) return Err(Errno::kEIO);  // a loop of ".."
      OSTD_TRY_ASSIGN(Inode c, GetDir(cur));
      OSTD_TRY_ASSIGN(Found up, Find(cur, c, ".."));
      if (up.ino == cur) return Err(Errno::kEIO);
      cur = up.ino;
    }
  }
  ostd::Result<Found> dst = Find(new_dir, nd, new_name);
  if (!dst && dst.error() != Errno::kENOENT) return Err(dst.error());
  uint32_t replaced = 0;
  if (dst) {
    if (dst->ino == src.ino) return uint32_t{0};
    OSTD_TRY_ASSIGN(Inode t, GetInode(dst->ino));
    if (t.is_dir() && !s.is_dir()) return Err(Errno::kEISDIR);
    if (!t.is_dir() && s.is_dir()) return Err(Errno::kENOTDIR);
    if (t.is_dir()) {
      OSTD_TRY_ASSIGN(bool empty, IsEmptyDir(dst->ino));
      if (!empty) return Err(Errno::kENOTEMPTY);
    }
    OSTD_TRY(SetEntryIno(*dst, src.ino, FileTypeOf(s.mode)));
    if (t.is_dir()) {
      t.links = 0;
      OSTD_TRY_ASSIGN(nd, GetDir(new_dir));
      if (nd.links > 2) --nd.links;
      OSTD_TRY(RawPutInode(new_dir, nd));
    } else if (t.links > 0) {
      --t.links;
    }
    t.ctime = now;
    OSTD_TRY(RawPutInode(dst->ino, t));
    replaced = dst->ino;
    OSTD_TRY_ASSIGN(nd, GetDir(new_dir));
    nd.mtime = nd.ctime = now;
    OSTD_TRY(RawPutInode(new_dir, nd));
  } else {
    if (s.is_dir() && old_dir != new_dir && nd.links >= kMaxLinks) return Err(Errno::kEMLINK);
    OSTD_TRY(AddEntry(new_dir, new_name, src.ino, FileTypeOf(s.mode), now));
  }
  // The old record may have moved within its block (AddEntry split one).
  OSTD_TRY_ASSIGN(od, GetDir(old_dir));
  OSTD_TRY_ASSIGN(Found again, Find(old_dir, od, old_name));
  OSTD_TRY(RemoveEntry(again));
  od.mtime = od.ctime = now;
  od.flags &= ~kIndexFl;
  if (s.is_dir() && old_dir != new_dir) {
    OSTD_TRY_ASSIGN(Inode moved, GetInode(src.ino));
    OSTD_TRY_ASSIGN(Found dotdot, Find(src.ino, moved, ".."));
    OSTD_TRY(SetEntryIno(dotdot, new_dir, kFtDir));
    if (od.links > 2) --od.links;
    OSTD_TRY(RawPutInode(old_dir, od));
    OSTD_TRY_ASSIGN(nd, GetDir(new_dir));
    ++nd.links;
    OSTD_TRY(RawPutInode(new_dir, nd));
  } else {
    OSTD_TRY(RawPutInode(old_dir, od));
  }
  OSTD_TRY_ASSIGN(s, GetInode(src.ino));
  s.ctime = now;
  OSTD_TRY(RawPutInode(src.ino, s));
  return replaced;
}

ostd::Status Volume::Abandon(uint32_t ino, uint32_t now) {
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  in.links = 0;
  OSTD_TRY(RawPutInode(ino, in));
  return Release(ino, now);
}

ostd::Status Volume::Release(uint32_t ino, uint32_t now) {
  OSTD_TRY(CheckWritable());
  OSTD_TRY_ASSIGN(Inode in, GetInode(ino));
  if (in.links != 0) return Err(Errno::kEBUSY);
  bool has_blocks = in.is_reg() || in.is_dir() || (in.is_symlink() && !in.is_fast_symlink());
  if (has_blocks) {
    for (uint32_t b : in.block) {
      if (b != 0 && !BlockOk(b)) return Err(Errno::kEIO);
    }
    OSTD_TRY(FreeBlocksFrom(in, 0));
  }
  in.size = 0;
  in.blocks = 0;
  in.dtime = now;
  OSTD_TRY(RawPutInode(ino, in));
  return FreeInode(ino, in.is_dir());
}

}  // namespace kernel::fs::ext2
