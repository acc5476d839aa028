#include "drivers/virtio/virtqueue.h"

#include <array>
#include <utility>

namespace drivers::virtio {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;

constexpr uint16_t kDescFlagNext = 1;
constexpr uint16_t kDescFlagWrite = 2;
constexpr uint16_t kUsedFlagNoNotify = 1;

constexpr uint64_t kDescSize = 16;
constexpr uint64_t kPage = 4096;

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

Result<Virtqueue> Virtqueue::Create(uint16_t size) {
  OSTD_TRY_ASSIGN(SplitQueueState state, SplitQueueState::Create(size));
  // Descriptor table (16 * size, 16-aligned), avail ring (flags, idx,
  // ring[size], used_event: 6 + 2 * size, 2-aligned), used ring (flags, idx,
  // ring[size] of {id, len}, avail_event: 6 + 8 * size, 4-aligned).
  uint64_t avail_off = kDescSize * size;
  uint64_t used_off = AlignUp(avail_off + 6 + 2 * uint64_t{size}, 4);
  uint64_t total = used_off + 6 + 8 * uint64_t{size};
  OSTD_TRY_ASSIGN(ostd::dma::DmaCoherent mem,
                  ostd::dma::DmaCoherent::Alloc(AlignUp(total, kPage) / kPage));
  return Virtqueue(std::move(mem), state, avail_off, used_off);
}

Result<QueueAddrs> Virtqueue::addrs() const {
  OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr desc, mem_.device_addr(0));
  OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr driver, mem_.device_addr(avail_off_));
  OSTD_TRY_ASSIGN(ostd::dma::DeviceAddr device, mem_.device_addr(used_off_));
  return QueueAddrs{desc, driver, device};
}

Result<uint16_t> Virtqueue::Submit(std::span<const Buffer> chain) {
  if (chain.empty() || chain.size() > kMaxChain) return Err(Errno::kEINVAL);
  uint64_t writable = 0;
  bool seen_writable = false;
  for (const Buffer& b : chain) {
    if (b.len == 0) return Err(Errno::kEINVAL);
    if (b.device_writes) {
      seen_writable = true;
      writable += b.len;
    } else if (seen_writable) {
      return Err(Errno::kEINVAL);  // readable after writable
    }
  }
  if (writable > UINT32_MAX) return Err(Errno::kEINVAL);
  std::array<uint16_t, kMaxChain> id_storage{};
  std::span<uint16_t> ids = std::span<uint16_t>(id_storage).first(chain.size());
  OSTD_TRY(state_.AllocChain(ids, static_cast<uint32_t>(writable)));
  for (size_t i = 0; i < chain.size(); ++i) {
    const Buffer& b = chain[i];
    uint64_t d = kDescSize * ids[i];
    uint16_t flags = static_cast<uint16_t>((b.device_writes ? kDescFlagWrite : 0) |
                                           (i + 1 < chain.size() ? kDescFlagNext : 0));
    uint16_t next = i + 1 < chain.size() ? ids[i + 1] : 0;
    ostd::Status st = mem_.WriteDeviceAddr(d, b.addr);
    if (st) st = mem_.WriteOnce<uint32_t>(d + 8, b.len);
    if (st) st = mem_.WriteOnce<uint16_t>(d + 12, flags);
    if (st) st = mem_.WriteOnce<uint16_t>(d + 14, next);
    if (!st) {
      (void)state_.AbandonChain(ids[0]);
      return Err(st.error());
    }
  }
  OSTD_TRY_ASSIGN(uint16_t slot, state_.PublishChain(ids[0]));
  OSTD_TRY(mem_.WriteOnce<uint16_t>(avail_off_ + 4 + 2 * uint64_t{slot}, ids[0]));
  // A release store: the descriptors and the ring entry are visible to the
  // device before the index that covers them.
  OSTD_TRY(mem_.WriteOnce<uint16_t>(avail_off_ + 2, state_.avail_idx()));
  return ids[0];
}

Result<bool> Virtqueue::ShouldNotify() const {
  // Order the index store above before reading the device's flags.
  ostd::dma::DmaCoherent::FullFence();
  OSTD_TRY_ASSIGN(uint16_t flags, mem_.ReadOnce<uint16_t>(used_off_));
  return (flags & kUsedFlagNoNotify) == 0;
}

Result<std::optional<UsedChain>> Virtqueue::PopUsed() {
  if (state_.broken()) return Err(Errno::kEIO);
  // An acquire load: the elements it covers are read after it.
  OSTD_TRY_ASSIGN(uint16_t used_idx, mem_.ReadOnce<uint16_t>(used_off_ + 2));
  OSTD_TRY_ASSIGN(uint16_t fresh, state_.NewUsed(used_idx));
  if (fresh == 0) return std::optional<UsedChain>();
  uint64_t elem = used_off_ + 4 + 8 * uint64_t{state_.next_used_slot()};
  OSTD_TRY_ASSIGN(uint32_t id, mem_.ReadOnce<uint32_t>(elem));
  OSTD_TRY_ASSIGN(uint32_t len, mem_.ReadOnce<uint32_t>(elem + 4));
  OSTD_TRY_ASSIGN(UsedChain done, state_.CompleteUsed(id, len));
  return std::optional<UsedChain>(done);
}

}  // namespace drivers::virtio
