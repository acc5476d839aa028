#include "kernel/fs/device.h"

#include <array>
#include <string_view>

#include "kernel/fs/block_device.h"
#include "kernel/fs/hwrng.h"
#include "kernel/fs/random.h"
#include "kernel/fs/tdx_guest.h"
#include "kernel/fs/tty.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

enum class Kind { kNull, kZero, kFull, kRandom };

// A memory-like device: the offset is ignored, reads and writes never block.
class MemDevice final : public File {
 public:
  MemDevice(RefPtr<Inode> inode, uint32_t flags, Kind kind)
      : File(std::move(inode), flags), kind_(kind) {}

  ostd::Result<size_t> Read(IoWriter& dst, Caller& c) override { return ReadAt(0, dst, c); }
  ostd::Result<size_t> Write(IoReader& src, Caller& c) override { return WriteAt(0, src, c); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter& dst, Caller&) override {
    switch (kind_) {
      case Kind::kNull:
        return size_t{0};
      case Kind::kZero:
      case Kind::kFull: {
        uint64_t n = dst.avail();
        return Progress(0, dst.FillZeros(n));
      }
      case Kind::kRandom: {
        size_t done = 0;
        std::array<uint8_t, 256> buf;
        while (dst.avail() > 0) {
          size_t n = std::min<size_t>(buf.size(), dst.avail());
          GetRandomBytes(std::span<uint8_t>(buf).first(n));
          CopyResult r = dst.Write(std::span<const uint8_t>(buf).first(n));
          if (!r.ok()) return Progress(done, r);
          done += r.copied;
        }
        return done;
      }
    }
    return size_t{0};
  }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader& src, Caller&) override {
    if (kind_ == Kind::kFull) return Err(Errno::kENOSPC);
    // Writes to random devices are accepted (and would add entropy).
    size_t n = src.remain();
    src.Skip(n);
    return n;
  }
  ostd::Result<uint64_t> Seek(int64_t, int) override { return uint64_t{0}; }

 private:
  Kind kind_;
};

struct Node {
  std::string_view name;
  uint32_t major, minor, perm;
};
constexpr std::array<Node, 8> kNodes = {{
    {"null", 1, 3, 0666},
    {"zero", 1, 5, 0666},
    {"full", 1, 7, 0666},
    {"random", 1, 8, 0666},
    {"urandom", 1, 9, 0666},
    {"tty", 5, 0, 0666},
    {"console", 5, 1, 0600},
    {"hwrng", kHwRngMajor, kHwRngMinor, 0600},
}};

}  // namespace

ostd::Result<RefPtr<File>> OpenDevice(const RefPtr<Inode>& inode, uint32_t flags) {
  uint32_t major = DevMajor(inode->rdev()), minor = DevMinor(inode->rdev());
  if (major == 1) {
    Kind kind;
    switch (minor) {
      case 3:
        kind = Kind::kNull;
        break;
      case 5:
        kind = Kind::kZero;
        break;
      case 7:
        kind = Kind::kFull;
        break;
      case 8:
      case 9:
        kind = Kind::kRandom;
        break;
      default:
        return Err(Errno::kENXIO);
    }
    OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<MemDevice>(inode, flags, kind));
    return f;
  }
  if (major == 5 && minor <= 1) return OpenConsoleTty(inode, flags);
  if (major == kHwRngMajor && minor == kHwRngMinor) return OpenHwRng(inode, flags);
  if (major == kHvcMajor && minor == 0) return OpenHvcTty(inode, flags);
  if (major == kTdxGuestMajor && minor == kTdxGuestMinor) return OpenTdxGuest(inode, flags);
  return Err(Errno::kENXIO);
}

ostd::Status CreateDeviceNodes(Inode& dev) {
  for (const Node& n : kNodes) {
    OSTD_TRY(dev.Create(n.name, InodeType::kCharDevice, n.perm, 0, 0, MakeDev(n.major, n.minor)));
  }
  OSTD_TRY(dev.Symlink("stdin", "/proc/self/fd/0", 0, 0));
  OSTD_TRY(dev.Symlink("stdout", "/proc/self/fd/1", 0, 0));
  OSTD_TRY(dev.Symlink("stderr", "/proc/self/fd/2", 0, 0));
  OSTD_TRY(dev.Symlink("fd", "/proc/self/fd", 0, 0));
  OSTD_TRY(dev.Create("shm", InodeType::kDirectory, 01777, 0, 0, 0));
  if (HvcTtyRegistered()) {
    OSTD_TRY(dev.Create("hvc0", InodeType::kCharDevice, 0620, 0, 5, MakeDev(kHvcMajor, 0)));
  }
  if (TdxGuestPresent()) {
    OSTD_TRY(dev.Create("tdx_guest", InodeType::kCharDevice, 0600, 0, 0,
                        MakeDev(kTdxGuestMajor, kTdxGuestMinor)));
  }
  return CreateBlockDeviceNodes(dev);
}

}  // namespace kernel::fs
