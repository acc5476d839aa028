// The bookkeeping of a virtio split virtqueue (virtio 1.x, 2.7), apart from
// the memory it describes: which descriptors are free, which chains the device
// holds, and the checks on what the device reports back. Pure logic, tested
// on the host with a device that misbehaves; drivers/virtio/virtqueue.h puts
// it on DMA memory.
//
// The device is not trusted: a used-ring index that claims more completions
// than are outstanding, a used element naming a descriptor that is not the
// head of a chain the device holds, or a length larger than the chain's
// device-writable bytes is a device error (EIO). After one, the queue is
// broken: every later call fails with EIO, and nothing it tracks is reused.
#ifndef DRIVERS_VIRTIO_QUEUE_STATE_H_
#define DRIVERS_VIRTIO_QUEUE_STATE_H_

#include <array>
#include <cstdint>
#include <span>

#include "ostd/result.h"

namespace drivers::virtio {

// The largest queue this driver sets up (the device may offer more).
inline constexpr uint16_t kMaxQueueSize = 256;

// A chain the device has returned: its head descriptor and the bytes the
// device says it wrote.
struct UsedChain {
  uint16_t head = 0;
  uint32_t written = 0;
};

class SplitQueueState {
 public:
  // A queue of `size` descriptors (a power of two, 1..kMaxQueueSize: else
  // EINVAL), all free.
  static ostd::Result<SplitQueueState> Create(uint16_t size);

  uint16_t size() const { return size_; }
  // Descriptors not in any chain.
  uint16_t free_count() const { return free_count_; }
  // Chains handed to the device and not yet returned.
  uint16_t in_flight() const { return in_flight_; }
  // True after a device error (see the file comment).
  bool broken() const { return broken_; }

  // Takes ids.size() free descriptors for one chain and writes them to `ids`
  // in chain order (ids[0] is the head). `device_writable` is the total
  // length of the chain's device-writable buffers: the most the device may
  // report as written. EINVAL: empty `ids` or more than size(); ENOSPC: not
  // enough free descriptors; EIO: broken.
  ostd::Status AllocChain(std::span<uint16_t> ids, uint32_t device_writable);

  // Gives back a chain that was allocated but never made available (the
  // submission failed). EINVAL if `head` is not such a chain; EIO: broken
  // (the chain stays allocated, as everything a broken queue tracks).
  ostd::Status AbandonChain(uint16_t head);

  // Records that the chain at `head` is being made available; returns the
  // avail-ring slot to write it to. The new avail index to publish is then
  // avail_idx(). EINVAL if `head` is not an allocated, unpublished chain.
  ostd::Result<uint16_t> PublishChain(uint16_t head);
  // The avail-ring index the driver has published up to.
  uint16_t avail_idx() const { return avail_idx_; }

  // How many used elements the device has added, given the used index it
  // wrote. EIO (and broken) if that is more than the chains it holds.
  ostd::Result<uint16_t> NewUsed(uint16_t device_used_idx);
  // The used-ring slot of the next element to consume.
  uint16_t next_used_slot() const { return static_cast<uint16_t>(last_used_ % size_); }
  // The used index consumed so far.
  uint16_t last_used_idx() const { return last_used_; }

  // Consumes the used element (id, len) at next_used_slot(): frees the chain
  // and returns it. EIO (and broken) if `id` is not the head of a chain the
  // device holds, or `len` exceeds its device-writable bytes.
  ostd::Result<UsedChain> CompleteUsed(uint32_t id, uint32_t len);

  // The descriptor after `id` in its chain, or kNoNext.
  uint16_t next_in_chain(uint16_t id) const { return id < size_ ? chain_next_[id] : kNoNext; }
  static constexpr uint16_t kNoNext = 0xffff;

 private:
  enum class Head : uint8_t { kNone, kAllocated, kWithDevice };

  SplitQueueState() = default;
  ostd::Status Break();
  void FreeChain(uint16_t head);

  uint16_t size_ = 0;
  uint16_t free_count_ = 0;
  uint16_t in_flight_ = 0;
  uint16_t avail_idx_ = 0;
  uint16_t last_used_ = 0;
  bool broken_ = false;
  std::array<uint16_t, kMaxQueueSize> free_{};        // stack of free ids
  std::array<uint16_t, kMaxQueueSize> chain_next_{};  // kNoNext ends a chain
  std::array<uint32_t, kMaxQueueSize> writable_{};    // per head
  std::array<Head, kMaxQueueSize> head_{};            // per descriptor
};

}  // namespace drivers::virtio

#endif  // DRIVERS_VIRTIO_QUEUE_STATE_H_
