#include "kernel/fs/block_device.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "ostd/sync.h"
#include "ostd/util/vec.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr uint64_t kSector = 512;
// The most one step of a read or write moves through the bounce buffer.
constexpr uint64_t kChunk = 64 * 1024;
constexpr std::array<std::string_view, kMaxBlockDevices> kNames = {"vda", "vdb", "vdc", "vdd",
                                                                   "vde", "vdf", "vdg", "vdh"};

ostd::SpinLock registry_lock;
constinit std::array<ostd::Box<BlockDevice>, kMaxBlockDevices> registry
    ABSL_GUARDED_BY(registry_lock);
size_t registered ABSL_GUARDED_BY(registry_lock) = 0;

class BlockFile final : public File {
 public:
  BlockFile(RefPtr<Inode> inode, uint32_t flags, BlockDevice* dev)
      : File(std::move(inode), flags), dev_(dev) {}

  ostd::Result<size_t> ReadAt(uint64_t offset, IoWriter& dst, Caller&) override {
    uint64_t size = dev_->sectors() * kSector;
    if (offset >= size) return size_t{0};
    uint64_t want = std::min<uint64_t>(dst.avail(), size - offset);
    size_t done = 0;
    ostd::Vec<uint8_t> bounce;
    while (done < want) {
      uint64_t pos = offset + done;
      uint64_t first = pos / kSector;
      uint64_t skip = pos % kSector;
      uint64_t n = std::min<uint64_t>(want - done, kChunk - skip);
      uint64_t span_bytes = (skip + n + kSector - 1) / kSector * kSector;
      OSTD_TRY(bounce.Resize(span_bytes));
      ostd::Status st = dev_->ReadSectors(first, bounce.span());
      if (!st) return done > 0 ? ostd::Result<size_t>(done) : Err(st.error());
      CopyResult r = dst.Write(std::span<const uint8_t>(bounce.span()).subspan(skip, n));
      if (!r.ok()) return Progress(done, r);
      done += r.copied;
    }
    return done;
  }

  ostd::Result<size_t> WriteAt(uint64_t offset, IoReader& src, Caller&) override {
    if (dev_->read_only()) return Err(Errno::kEROFS);
    uint64_t size = dev_->sectors() * kSector;
    if (src.remain() == 0) return size_t{0};
    if (offset >= size) return Err(Errno::kENOSPC);
    uint64_t want = std::min<uint64_t>(src.remain(), size - offset);
    size_t done = 0;
    ostd::Vec<uint8_t> bounce;
    while (done < want) {
      uint64_t pos = offset + done;
      uint64_t first = pos / kSector;
      uint64_t skip = pos % kSector;
      uint64_t n = std::min<uint64_t>(want - done, kChunk - skip);
      uint64_t span_bytes = (skip + n + kSector - 1) / kSector * kSector;
      OSTD_TRY(bounce.Resize(span_bytes));
      if (skip != 0 || n != span_bytes) {
        // Partial sectors at either end: keep the bytes around the write.
        ostd::Status st = dev_->ReadSectors(first, bounce.span());
        if (!st) return done > 0 ? ostd::Result<size_t>(done) : Err(st.error());
      }
      CopyResult r = src.Read(bounce.span().subspan(skip, n));
      // Only what was copied from the caller is written (rounded out to the
      // sectors it touches, which hold the old bytes around it).
      uint64_t got = r.copied;
      if (got > 0) {
        uint64_t bytes = (skip + got + kSector - 1) / kSector * kSector;
        ostd::Status st =
            dev_->WriteSectors(first, std::span<const uint8_t>(bounce.span()).first(bytes));
        if (!st) return done > 0 ? ostd::Result<size_t>(done) : Err(st.error());
      }
      if (!r.ok()) return Progress(done, r);
      done += got;
    }
    return done;
  }

  uint64_t SeekEndSize() const override { return dev_->sectors() * kSector; }

 private:
  BlockDevice* dev_;
};

}  // namespace

ostd::Result<size_t> RegisterBlockDevice(ostd::Box<BlockDevice> dev) {
  if (!dev) return Err(Errno::kEINVAL);
  ostd::SpinLockGuard g(registry_lock);
  if (registered == kMaxBlockDevices) return Err(Errno::kENOSPC);
  registry[registered] = std::move(dev);
  return registered++;
}

BlockDevice* GetBlockDevice(size_t index) {
  ostd::SpinLockGuard g(registry_lock);
  return index < registered ? registry[index].get() : nullptr;
}

BlockDevice* FindBlockDevice(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return GetBlockDevice(i);
  }
  return nullptr;
}

ostd::Status CreateBlockDeviceNodes(Inode& dev) {
  for (size_t i = 0; GetBlockDevice(i) != nullptr; ++i) {
    OSTD_TRY(dev.Create(kNames[i], InodeType::kBlockDevice, 0660, 0, 0,
                        MakeDev(kVirtBlkMajor, static_cast<uint32_t>(16 * i))));
  }
  return {};
}

ostd::Result<RefPtr<File>> OpenBlockDevice(const RefPtr<Inode>& inode, uint32_t flags) {
  uint32_t major = DevMajor(inode->rdev()), minor = DevMinor(inode->rdev());
  if (major != kVirtBlkMajor || minor % 16 != 0) return Err(Errno::kENXIO);
  BlockDevice* dev = GetBlockDevice(minor / 16);
  if (dev == nullptr) return Err(Errno::kENXIO);
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<BlockFile>(inode, flags, dev));
  return f;
}

}  // namespace kernel::fs
