#include "drivers/virtio/queue_state.h"

namespace drivers::virtio {

using ostd::Err;
using ostd::Errno;

ostd::Result<SplitQueueState> SplitQueueState::Create(uint16_t size) {
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0) return Err(Errno::kEINVAL);
  SplitQueueState s;
  s.size_ = size;
  s.free_count_ = size;
  for (uint16_t i = 0; i < size; ++i) {
    s.free_[i] = static_cast<uint16_t>(size - 1 - i);  // hand out 0, 1, 2... first
    s.chain_next_[i] = kNoNext;
  }
  return s;
}

ostd::Status SplitQueueState::Break() {
  broken_ = true;
  return Err(Errno::kEIO);
}

ostd::Status SplitQueueState::AllocChain(std::span<uint16_t> ids, uint32_t device_writable) {
  if (broken_) return Err(Errno::kEIO);
  if (ids.empty() || ids.size() > size_) return Err(Errno::kEINVAL);
  if (ids.size() > free_count_) return Err(Errno::kENOSPC);
  for (uint16_t& id : ids) id = free_[--free_count_];
  for (size_t i = 0; i < ids.size(); ++i) {
    chain_next_[ids[i]] = i + 1 < ids.size() ? ids[i + 1] : kNoNext;
    head_[ids[i]] = Head::kNone;
  }
  head_[ids[0]] = Head::kAllocated;
  writable_[ids[0]] = device_writable;
  return {};
}

void SplitQueueState::FreeChain(uint16_t head) {
  head_[head] = Head::kNone;
  uint16_t id = head;
  // A chain has at most size_ links; the bound also stops a corrupted one.
  for (uint16_t n = 0; id != kNoNext && n < size_; ++n) {
    uint16_t next = chain_next_[id];
    chain_next_[id] = kNoNext;
    free_[free_count_++] = id;
    id = next;
  }
}

ostd::Status SplitQueueState::AbandonChain(uint16_t head) {
  if (broken_) return Err(Errno::kEIO);
  if (head >= size_ || head_[head] != Head::kAllocated) return Err(Errno::kEINVAL);
  FreeChain(head);
  return {};
}

ostd::Result<uint16_t> SplitQueueState::PublishChain(uint16_t head) {
  if (broken_) return Err(Errno::kEIO);
  if (head >= size_ || head_[head] != Head::kAllocated) return Err(Errno::kEINVAL);
  head_[head] = Head::kWithDevice;
  ++in_flight_;
  uint16_t slot = static_cast<uint16_t>(avail_idx_ % size_);
  ++avail_idx_;
  return slot;
}

ostd::Result<uint16_t> SplitQueueState::NewUsed(uint16_t device_used_idx) {
  if (broken_) return Err(Errno::kEIO);
  uint16_t n = static_cast<uint16_t>(device_used_idx - last_used_);
  if (n > in_flight_) return Err(Break().error());
  return n;
}

ostd::Result<UsedChain> SplitQueueState::CompleteUsed(uint32_t id, uint32_t len) {
  if (broken_) return Err(Errno::kEIO);
  if (id >= size_ || head_[id] != Head::kWithDevice) return Err(Break().error());
  uint16_t head = static_cast<uint16_t>(id);
  if (len > writable_[head]) return Err(Break().error());
  FreeChain(head);
  --in_flight_;
  ++last_used_;
  return UsedChain{head, len};
}

}  // namespace drivers::virtio
