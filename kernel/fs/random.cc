#include "kernel/fs/random.h"

#include <array>
#include <bit>

#include "kernel/fs/chacha.h"
#include "ostd/boot.h"
#include "ostd/sync.h"
#include "ostd/timer.h"

namespace kernel::fs {
namespace {

ostd::SpinLock g_lock;
ChaChaRng g_rng ABSL_GUARDED_BY(g_lock);
bool g_seeded ABSL_GUARDED_BY(g_lock) = false;

void MixTime() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  auto t = std::bit_cast<std::array<uint8_t, 8>>(ostd::timer::NowNanos());
  g_rng.Mix(t);
}

void SeedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  if (g_seeded) return;
  g_seeded = true;
  MixTime();
  const ostd::BootInfo& bi = ostd::GetBootInfo();
  for (char c : bi.cmdline) {
    std::array<uint8_t, 1> b = {static_cast<uint8_t>(c)};
    g_rng.Mix(b);
  }
  for (const ostd::MemoryRegion& r : bi.memory_map) {
    g_rng.Mix(std::bit_cast<std::array<uint8_t, 8>>(r.base ^ r.length));
  }
  // The first bytes of the initramfs differ between images.
  if (bi.initramfs.has_value())
    g_rng.Mix(bi.initramfs->first(std::min<size_t>(256, bi.initramfs->size())));
  MixTime();
}

}  // namespace

void GetRandomBytes(std::span<uint8_t> out) {
  // Generate in chunks so the spin lock is never held long.
  while (!out.empty()) {
    size_t n = std::min<size_t>(out.size(), 256);
    {
      ostd::SpinLockGuard g(g_lock);
      SeedLocked();
      MixTime();
      g_rng.Fill(out.first(n));
    }
    out = out.subspan(n);
  }
}

void AddRandomness(std::span<const uint8_t> data) {
  ostd::SpinLockGuard g(g_lock);
  SeedLocked();
  g_rng.Mix(data);
}

}  // namespace kernel::fs
