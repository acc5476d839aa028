// Runs a fixed workload through kernel/fs/ext2 on an image file, for the
// host check that Debian's e2fsck and debugfs accept what Keel's ext2 writes:
//   ext2_workload IMAGE [--crash]
// With --crash the file system is synced without being marked clean, more
// changes follow that stay in the cache, and the image written is the disk
// as it was right after the sync: what is left when QEMU is killed then.
// Afterwards the image holds (checked by ext2_fsck_test.sh):
//   /keel/notes.txt        "written by keel\n"
//   /keel/big.bin          2 MiB of (i * 31) % 253, then 4 KiB at 70 MiB
//   /keel/many/f0..f299    "file <n>\n"  (f100..f199 removed)
//   /keel/link -> notes.txt, /keel/long_link -> 120 'z'
//   /renamed.txt           hello.txt's data (hard.txt's inode)
//   /big.bin               truncated to 1000 bytes
//   /sparse.bin, /dir removed (sparse.bin unlinked; dir/nested tree removed)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernel/fs/ext2/ext2.h"

namespace {

using kernel::fs::BlockDevice;
using kernel::fs::ext2::kIfreg;
using kernel::fs::ext2::kRootIno;
using kernel::fs::ext2::Volume;

constexpr uint32_t kNow = 1800000000;

class FileDisk final : public BlockDevice {
 public:
  explicit FileDisk(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  uint64_t sectors() const override { return bytes_.size() / 512; }
  bool read_only() const override { return false; }
  ostd::Status ReadSectors(uint64_t sector, std::span<uint8_t> dst) override {
    if (sector * 512 + dst.size() > bytes_.size()) return ostd::Err(ostd::Errno::kEIO);
    std::copy_n(bytes_.begin() + sector * 512, dst.size(), dst.begin());
    return {};
  }
  ostd::Status WriteSectors(uint64_t sector, std::span<const uint8_t> src) override {
    if (sector * 512 + src.size() > bytes_.size()) return ostd::Err(ostd::Errno::kEIO);
    std::copy(src.begin(), src.end(), bytes_.begin() + sector * 512);
    return {};
  }
  ostd::Status Flush() override { return {}; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

template <typename T>
T Must(ostd::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "ext2_workload: %s: errno %d\n", what, static_cast<int>(r.error()));
    std::exit(1);
  }
  return std::move(*r);
}
void Must(ostd::Status r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "ext2_workload: %s: errno %d\n", what, static_cast<int>(r.error()));
    std::exit(1);
  }
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void Release(Volume& v, uint32_t ino) {
  if (Must(v.GetInode(ino), "stat").links == 0) Must(v.Release(ino, kNow), "release");
}

}  // namespace

int main(int argc, char** argv) {
  bool crash = argc == 3 && std::string(argv[2]) == "--crash";
  if (argc != 2 && !crash) {
    std::fprintf(stderr, "usage: ext2_workload IMAGE [--crash]\n");
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (f == nullptr) return 1;
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  FileDisk disk(std::move(bytes));
  std::vector<uint8_t> snapshot;
  {
    Volume v = Must(Volume::Mount(disk, false, 32, kNow), "mount");
    uint32_t keel = Must(v.Mkdir(kRootIno, "keel", 0755, 1000, 1000, kNow), "mkdir keel");
    uint32_t notes =
        Must(v.Create(keel, "notes.txt", kIfreg | 0644, 1000, 1000, 0, 0, kNow), "create");
    Must(v.Write(notes, 0, Bytes("written by keel\n"), kNow), "write notes");
    uint32_t big = Must(v.Create(keel, "big.bin", kIfreg | 0600, 0, 0, 0, 0, kNow), "big");
    std::vector<uint8_t> data(2 << 20);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>((i * 31) % 253);
    Must(v.Write(big, 0, data, kNow), "write big");
    Must(v.Write(big, 70ull << 20, std::span(data).first(4096), kNow), "write far");
    uint32_t many = Must(v.Mkdir(keel, "many", 0700, 0, 0, kNow), "mkdir many");
    for (int i = 0; i < 300; ++i) {
      std::string name = "f" + std::to_string(i);
      uint32_t ino = Must(v.Create(many, name, kIfreg | 0644, 0, 0, 0, 0, kNow), "create f");
      Must(v.Write(ino, 0, Bytes("file " + std::to_string(i) + "\n"), kNow), "write f");
    }
    for (int i = 100; i < 200; ++i) {
      Release(v, Must(v.Unlink(many, "f" + std::to_string(i), kNow), "unlink f"));
    }
    Must(v.Symlink(keel, "link", "notes.txt", 0, 0, kNow), "symlink");
    Must(v.Symlink(keel, "long_link", std::string(120, 'z'), 0, 0, kNow), "long symlink");
    Must(v.Rename(kRootIno, "hello.txt", kRootIno, "renamed.txt", kNow), "rename");
    uint32_t old_big = Must(v.Lookup(kRootIno, "big.bin"), "lookup big");
    Must(v.Truncate(old_big, 1000, kNow), "truncate");
    Release(v, Must(v.Unlink(kRootIno, "sparse.bin", kNow), "unlink sparse"));
    uint32_t dir = Must(v.Lookup(kRootIno, "dir"), "lookup dir");
    uint32_t nested = Must(v.Lookup(dir, "nested"), "lookup nested");
    Release(v, Must(v.Unlink(nested, "deep.txt", kNow), "unlink deep"));
    Release(v, Must(v.Rmdir(dir, "nested", kNow), "rmdir nested"));
    Release(v, Must(v.Rmdir(kRootIno, "dir", kNow), "rmdir dir"));
    if (!crash) {
      Must(v.Sync(true), "sync");
    } else {
      Must(v.Sync(false), "sync");
      snapshot = disk.bytes();
      // After the sync: none of this may reach the snapshot.
      uint32_t late = Must(v.Create(keel, "late.txt", kIfreg | 0644, 0, 0, 0, 0, kNow), "late");
      Must(v.Write(late, 0, Bytes("not synced\n"), kNow), "write late");
      Release(v, Must(v.Unlink(keel, "notes.txt", kNow), "unlink notes"));
    }
  }
  if (crash) disk = FileDisk(std::move(snapshot));
  f = std::fopen(argv[1], "wb");
  if (f == nullptr) return 1;
  if (std::fwrite(disk.bytes().data(), 1, disk.bytes().size(), f) != disk.bytes().size()) return 1;
  return std::fclose(f) == 0 ? 0 : 1;
}
