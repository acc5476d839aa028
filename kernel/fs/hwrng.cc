#include "kernel/fs/hwrng.h"

#include <array>
#include <atomic>
#include <utility>

#include "kernel/fs/linux_abi.h"
#include "kernel/fs/random.h"
#include "ostd/sync.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

// Set once, never cleared: the device lives until shutdown, so readers use
// it without a reference count.
ostd::SpinLock registry_lock;
constinit ostd::Box<HwRng> current ABSL_GUARDED_BY(registry_lock);

HwRng* Current() {
  ostd::SpinLockGuard guard(registry_lock);
  return current.get();
}

class HwRngFile final : public File {
 public:
  HwRngFile(RefPtr<Inode> inode, uint32_t flags) : File(std::move(inode), flags) {}

  ostd::Result<size_t> Read(IoWriter& dst, Caller& c) override { return ReadAt(0, dst, c); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter& dst, Caller& c) override {
    HwRng* rng = Current();
    if (rng == nullptr) return Err(Errno::kENODEV);
    size_t done = 0;
    std::array<uint8_t, 256> buf;
    while (dst.avail() > 0) {
      // Linux gives back what it has when a signal arrives mid-read.
      if (done > 0 && c.SignalPending()) break;
      if (done == 0 && c.SignalPending()) return Err(Errno::kEINTR);
      size_t want = std::min<size_t>(buf.size(), dst.avail());
      ostd::Result<size_t> n = rng->Read(std::span<uint8_t>(buf).first(want));
      if (!n || *n == 0) {
        if (done > 0) break;
        return n ? Err(Errno::kEIO) : Err(n.error());
      }
      CopyResult r = dst.Write(std::span<const uint8_t>(buf).first(*n));
      if (!r.ok()) return Progress(done, r);
      done += r.copied;
    }
    return done;
  }
  // Linux's noop_llseek: the position stays 0.
  ostd::Result<uint64_t> Seek(int64_t, int) override { return uint64_t{0}; }
};

}  // namespace

ostd::Status RegisterHwRng(ostd::Box<HwRng> rng) {
  {
    ostd::SpinLockGuard guard(registry_lock);
    if (current.get() != nullptr) return Err(Errno::kEBUSY);
  }
  std::array<uint8_t, kHwRngSeedBytes> seed{};
  std::span<uint8_t> rest(seed);
  while (!rest.empty()) {
    OSTD_TRY_ASSIGN(size_t n, rng->Read(rest));
    if (n == 0) return Err(Errno::kEIO);
    rest = rest.subspan(n);
  }
  AddRandomness(seed);
  ostd::SpinLockGuard guard(registry_lock);
  if (current.get() != nullptr) return Err(Errno::kEBUSY);
  current = std::move(rng);
  return {};
}

std::string_view CurrentHwRngName() {
  HwRng* rng = Current();
  return rng != nullptr && rng->present() ? rng->name() : std::string_view("none");
}

ostd::Result<RefPtr<File>> OpenHwRng(const RefPtr<Inode>& inode, uint32_t flags) {
  // Read-only, as Linux's rng_dev_open insists.
  if ((flags & kO_ACCMODE) != kO_RDONLY) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<HwRngFile>(inode, flags));
  return f;
}

}  // namespace kernel::fs
