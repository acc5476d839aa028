// kernel/fs/ext2: the on-disk structures of an ext2 image (a disk is outside
// input: any image a user attaches gets mounted).
//
// Input: a disk image (rounded down to whole sectors). Each run mounts it
// read-only and walks it (directories, stat, file contents, symlinks), then
// mounts a copy writable and changes it (create, write, mkdir, symlink,
// rename, truncate, unlink, rmdir, release, sync), as the VFS would, and
// mounts the result read-only again.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "kernel/fs/ext2/ext2.h"

namespace {

using kernel::fs::ext2::Inode;
using kernel::fs::ext2::Volume;

constexpr uint32_t kNow = 1800000000;
constexpr uint32_t kRootIno = 2;

class RamDisk final : public kernel::fs::BlockDevice {
 public:
  explicit RamDisk(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  uint64_t sectors() const override { return bytes_.size() / 512; }
  bool read_only() const override { return false; }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    if (sector > sectors() || dst.size() > bytes_.size() - sector * 512) {
      return ostd::Err(ostd::Errno::kEIO);
    }
    std::copy_n(bytes_.begin() + sector * 512, dst.size(), dst.begin());
    return {};
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    if (sector > sectors() || src.size() > bytes_.size() - sector * 512) {
      return ostd::Err(ostd::Errno::kEIO);
    }
    std::copy(src.begin(), src.end(), bytes_.begin() + sector * 512);
    return {};
  }
  ostd::Status Flush() override { return {}; }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

struct Entry {
  std::string name;
  uint32_t ino;
  uint8_t type;
};

class Collect final : public kernel::fs::ext2::DirVisitor {
 public:
  bool Visit(std::string_view name, uint32_t ino, uint8_t type, uint64_t) override {
    entries.push_back({std::string(name), ino, type});
    return entries.size() < 32;
  }
  std::vector<Entry> entries;
};

// Reads every directory and file reachable from `dir` (bounded).
void Walk(Volume& v, uint32_t dir, int depth, int& budget) {
  if (depth > 6 || --budget < 0) return;
  Collect c;
  ostd::Result<uint64_t> next = v.ReadDir(dir, 0, c);
  if (!next.has_value()) return;
  if (c.entries.size() == 32) {  // the rest, from the cookie
    Collect more;
    (void)v.ReadDir(dir, *next, more);
  }
  for (const Entry& e : c.entries) {
    if (e.name == "." || e.name == "..") continue;
    ostd::Result<uint32_t> found = v.Lookup(dir, e.name);
    if (!found.has_value()) continue;
    ostd::Result<Inode> inode = v.GetInode(*found);
    if (!inode.has_value()) continue;
    if (inode->is_dir()) {
      Walk(v, *found, depth + 1, budget);
    } else if (inode->is_symlink()) {
      std::array<char, 4096> target{};
      (void)v.ReadLink(*found, target);
    } else if (inode->is_reg()) {
      std::array<uint8_t, 4096> buf{};
      uint64_t off = 0;
      for (int i = 0; i < 16 && off < inode->size; ++i) {
        ostd::Result<size_t> n = v.Read(*found, off, buf);
        if (!n.has_value() || *n == 0) break;
        FUZZ_CHECK(*n <= buf.size());
        off += *n;
      }
      (void)v.Read(*found, inode->size > 4096 ? inode->size - 4096 : 0, buf);
    }
  }
}

void ReadOnly(std::vector<uint8_t> image) {
  RamDisk disk(std::move(image));
  ostd::Result<Volume> v = Volume::Mount(disk, true, 16, kNow);
  if (!v.has_value()) return;
  int budget = 64;
  Walk(*v, kRootIno, 0, budget);
  // Writes must be refused on a read-only mount.
  FUZZ_CHECK(!v->Create(kRootIno, "new", 0100644, 0, 0, 0, 0, kNow).has_value());
}

// Returns the image as the writable mount left it.
std::vector<uint8_t> ReadWrite(std::vector<uint8_t> image) {
  RamDisk disk(std::move(image));
  ostd::Result<Volume> mounted = Volume::Mount(disk, false, 16, kNow);
  if (!mounted.has_value()) return {};
  Volume& v = *mounted;
  Collect c;
  (void)v.ReadDir(kRootIno, 0, c);
  std::array<uint8_t, 6000> data{};
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  // Change what is there: the first file and the first directory.
  for (const Entry& e : c.entries) {
    if (e.name == "." || e.name == "..") continue;
    ostd::Result<Inode> inode = v.GetInode(e.ino);
    if (!inode.has_value()) continue;
    if (inode->is_reg()) {
      (void)v.Write(e.ino, 1000, data, kNow);
      (void)v.Truncate(e.ino, 100, kNow);
      (void)v.Link(kRootIno, "hard", e.ino, kNow);
      ostd::Result<uint32_t> gone = v.Unlink(kRootIno, e.name, kNow);
      if (gone.has_value()) {
        ostd::Result<Inode> left = v.GetInode(*gone);
        if (left.has_value() && left->links == 0) (void)v.Release(*gone, kNow);
      }
    } else if (inode->is_dir()) {
      (void)v.Rename(kRootIno, e.name, kRootIno, "moved", kNow);
      ostd::Result<uint32_t> gone = v.Rmdir(kRootIno, "moved", kNow);
      if (gone.has_value()) (void)v.Release(*gone, kNow);
    }
  }
  // Add new things.
  ostd::Result<uint32_t> f = v.Create(kRootIno, "fuzz.txt", 0100644, 1, 1, 0, 0, kNow);
  if (f.has_value()) {
    (void)v.Write(*f, 0, data, kNow);
    (void)v.Write(*f, 300 * 1024, data, kNow);
    std::array<uint8_t, 512> back{};
    (void)v.Read(*f, 0, back);
    (void)v.Truncate(*f, 10, kNow);
  }
  ostd::Result<uint32_t> d = v.Mkdir(kRootIno, "dir2", 0755, 0, 0, kNow);
  if (d.has_value()) {
    (void)v.Symlink(*d, "link", std::string(100, 'x'), 0, 0, kNow);
    (void)v.Rename(kRootIno, "fuzz.txt", *d, "moved.txt", kNow);
  }
  (void)v.Sync(true);
  return disk.Take();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> image(data, data + size / 512 * 512);
  if (image.size() < 2048) return 0;
  ReadOnly(image);
  // What Keel wrote must mount and read back without harm too.
  std::vector<uint8_t> written = ReadWrite(std::move(image));
  if (!written.empty()) ReadOnly(std::move(written));
  return 0;
}
