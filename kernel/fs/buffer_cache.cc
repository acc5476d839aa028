#include "kernel/fs/buffer_cache.h"

#include <algorithm>
#include <array>
#include <utility>

#include "ostd/util/span_copy.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

ostd::Result<BufferCache> BufferCache::Create(BlockDevice& dev, uint32_t block_size,
                                              size_t capacity) {
  if (block_size < kSectorSize || block_size > 65536 || (block_size & (block_size - 1)) != 0 ||
      capacity == 0 || capacity >= kNone / 2) {
    return Err(Errno::kEINVAL);
  }
  BufferCache cache(dev, block_size, capacity);
  OSTD_TRY(cache.buffers_.Reserve(capacity));
  OSTD_TRY(cache.free_.Reserve(capacity));
  size_t slots = 1;
  while (slots < 2 * capacity) slots *= 2;
  OSTD_TRY(cache.index_.Resize(slots));
  for (size_t i = 0; i < slots; ++i) cache.index_[i] = kNone;
  OSTD_TRY(cache.scratch_.Resize(std::max<size_t>(kMaxClusterBytes, block_size)));
  return cache;
}

size_t BufferCache::dirty_count() const {
  size_t n = 0;
  for (const Buffer& b : buffers_) n += b.valid && b.dirty ? 1 : 0;
  return n;
}

size_t BufferCache::ClusterBlocks() const {
  return std::max<size_t>(1, kMaxClusterBytes / block_size_);
}

// ----- The index -----

size_t BufferCache::Home(uint64_t block) const {
  // Fibonacci hashing: consecutive blocks spread over the table.
  return static_cast<size_t>((block * 0x9E3779B97F4A7C15ull) >> 32) & (index_.size() - 1);
}

uint32_t BufferCache::Find(uint64_t block) const {
  size_t mask = index_.size() - 1;
  for (size_t i = Home(block);; i = (i + 1) & mask) {
    uint32_t slot = index_[i];
    if (slot == kNone) return kNone;
    if (buffers_[slot].block == block) return slot;
  }
}

ostd::Status BufferCache::IndexInsert(uint64_t block, uint32_t slot) {
  size_t mask = index_.size() - 1;
  for (size_t i = Home(block);; i = (i + 1) & mask) {
    if (index_[i] == kNone) {
      index_[i] = slot;
      return {};
    }
  }
}

void BufferCache::IndexErase(uint64_t block) {
  size_t mask = index_.size() - 1;
  size_t i = Home(block);
  for (;; i = (i + 1) & mask) {
    if (index_[i] == kNone) return;
    if (buffers_[index_[i]].block == block) break;
  }
  // Backward-shift deletion: entries after the hole that may sit there move up.
  for (size_t j = (i + 1) & mask; index_[j] != kNone; j = (j + 1) & mask) {
    size_t home = Home(buffers_[index_[j]].block);
    // Entry j may move to the hole i unless its home lies cyclically in (i, j].
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    index_[i] = index_[j];
    i = j;
  }
  index_[i] = kNone;
}

// ----- The LRU list -----

void BufferCache::Unlink(uint32_t slot) {
  Buffer& b = buffers_[slot];
  if (b.prev != kNone) {
    buffers_[b.prev].next = b.next;
  } else {
    head_ = b.next;
  }
  if (b.next != kNone) {
    buffers_[b.next].prev = b.prev;
  } else {
    tail_ = b.prev;
  }
  b.prev = b.next = kNone;
}

void BufferCache::PushFront(uint32_t slot) {
  Buffer& b = buffers_[slot];
  b.prev = kNone;
  b.next = head_;
  if (head_ != kNone) buffers_[head_].prev = slot;
  head_ = slot;
  if (tail_ == kNone) tail_ = slot;
}

// ----- Device I/O -----

ostd::Status BufferCache::WriteCluster(size_t slot, bool all) {
  uint64_t first = buffers_[slot].block;
  size_t spb = block_size_ / kSectorSize;
  // The dirty buffers of first, first + 1, ... (at most one request's worth).
  size_t count = 1;
  while (count < ClusterBlocks() && first + count < blocks_) {
    uint32_t s = Find(first + count);
    if (s == kNone || !buffers_[s].dirty || (!buffers_[s].file_data && !all)) break;
    ++count;
  }
  if (count == 1) {
    OSTD_TRY(dev_->WriteSectors(first * spb, buffers_[slot].data.span()));
  } else {
    std::span<uint8_t> out = scratch_.span().first(count * block_size_);
    for (size_t k = 0; k < count; ++k) {
      ostd::CopyBytes(std::span<const uint8_t>(buffers_[Find(first + k)].data.span()),
                      out.subspan(k * block_size_, block_size_));
    }
    OSTD_TRY(dev_->WriteSectors(first * spb, out));
  }
  for (size_t k = 0; k < count; ++k) buffers_[Find(first + k)].dirty = false;
  stats_.writebacks += count;
  return {};
}

ostd::Result<size_t> BufferCache::Victim() {
  if (!free_.empty()) {
    uint32_t slot = free_[free_.size() - 1];
    free_.PopBack();
    return size_t{slot};
  }
  if (buffers_.size() < capacity_) {
    Buffer fresh;
    OSTD_TRY(fresh.data.Resize(block_size_));
    OSTD_TRY(buffers_.Push(std::move(fresh)));
    return buffers_.size() - 1;
  }
  // The least recently used buffer that is clean or holds file data: dirty
  // metadata (an inode table, a bitmap, a directory) stays until WriteBack,
  // so that what reaches the disk between syncs never includes half of a
  // metadata update (a bitmap without its inode, say), unless the cache is
  // all such blocks (then the least recent goes anyway).
  uint32_t lru = tail_;
  uint32_t steps = 0;
  for (uint32_t s = tail_; s != kNone && steps < kMaxVictimSearch; s = buffers_[s].prev, ++steps) {
    if (!buffers_[s].dirty || buffers_[s].file_data) {
      lru = s;
      break;
    }
  }
  if (buffers_[lru].dirty) OSTD_TRY(WriteCluster(lru, /*all=*/false));
  Unlink(lru);
  IndexErase(buffers_[lru].block);
  buffers_[lru].valid = false;
  ++stats_.evictions;
  return size_t{lru};
}

ostd::Result<size_t> BufferCache::ReadRun(uint64_t block, size_t count) {
  // The buffers first (evicting may write back), then one read.
  std::array<uint32_t, 64> slots{};
  count = std::min(count, slots.size());
  for (size_t k = 0; k < count; ++k) {
    ostd::Result<size_t> v = Victim();
    if (!v) {
      if (k == 0) return Err(v.error());
      count = k;  // read what there are buffers for
      break;
    }
    slots[k] = static_cast<uint32_t>(*v);
  }
  size_t spb = block_size_ / kSectorSize;
  ostd::Status st;
  if (count == 1) {
    st = dev_->ReadSectors(block * spb, buffers_[slots[0]].data.span());
  } else {
    std::span<uint8_t> in = scratch_.span().first(count * block_size_);
    st = dev_->ReadSectors(block * spb, in);
    for (size_t k = 0; st && k < count; ++k) {
      ostd::CopyBytes(std::span<const uint8_t>(in).subspan(k * block_size_, block_size_),
                      buffers_[slots[k]].data.span());
    }
  }
  if (!st) {
    // The buffers stay free for the next miss (Reserve made room for all).
    for (size_t k = 0; k < count; ++k) (void)free_.Push(slots[k]);
    return Err(st.error());
  }
  // Read ahead blocks go in as less recent than the one asked for.
  for (size_t k = count; k > 0; --k) {
    uint32_t s = slots[k - 1];
    Buffer& b = buffers_[s];
    b.block = block + (k - 1);
    b.valid = true;
    b.dirty = false;
    b.file_data = false;
    OSTD_TRY(IndexInsert(b.block, s));
    PushFront(s);
  }
  stats_.misses += count;
  return size_t{slots[0]};
}

ostd::Result<size_t> BufferCache::Get(uint64_t block, bool fill) {
  if (block >= blocks_) return Err(Errno::kEIO);
  uint32_t found = Find(block);
  if (found != kNone) {
    Unlink(found);
    PushFront(found);
    ++stats_.hits;
    return size_t{found};
  }
  if (fill) {
    // A miss right after the previous one reads ahead, more each time.
    size_t max_window = std::max<size_t>(1, std::min(ClusterBlocks(), capacity_ / 4));
    ra_window_ = block == ra_next_ ? std::min(ra_window_ * 2, max_window) : 1;
    size_t count = 1;
    while (count < ra_window_ && block + count < blocks_ && Find(block + count) == kNone) {
      ++count;
    }
    OSTD_TRY_ASSIGN(size_t slot, ReadRun(block, count));
    ra_next_ = block + count;
    return slot;
  }
  OSTD_TRY_ASSIGN(size_t i, Victim());
  Buffer& b = buffers_[i];
  b.block = block;
  b.valid = true;
  b.dirty = false;
  b.file_data = false;
  OSTD_TRY(IndexInsert(block, static_cast<uint32_t>(i)));
  PushFront(static_cast<uint32_t>(i));
  return i;
}

ostd::Status BufferCache::Read(uint64_t block, size_t offset, std::span<uint8_t> dst) {
  if (offset > block_size_ || dst.size() > block_size_ - offset) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(size_t i, Get(block, true));
  ostd::CopyBytes(std::span<const uint8_t>(buffers_[i].data.span()).subspan(offset, dst.size()),
                  dst);
  return {};
}

ostd::Status BufferCache::Write(uint64_t block, size_t offset, std::span<const uint8_t> src,
                                bool file_data) {
  if (offset > block_size_ || src.size() > block_size_ - offset) return Err(Errno::kEINVAL);
  if (dev_->read_only()) return Err(Errno::kEROFS);
  if (uint32_t found = Find(block); found != kNone && src.size() < block_size_) {
    // The same bytes again (an inode or bitmap written back unchanged): the
    // buffer stays as clean as it was, and nothing goes to the disk for it.
    // (Whole blocks are not compared: those writes change them.)
    std::span<const uint8_t> cur =
        std::span<const uint8_t>(buffers_[found].data.span()).subspan(offset, src.size());
    bool same = true;
    for (size_t k = 0; k < src.size() && same; ++k) same = cur[k] == src[k];
    if (same) {
      Unlink(found);
      PushFront(found);
      ++stats_.hits;
      return {};
    }
  }
  bool whole = offset == 0 && src.size() == block_size_;
  OSTD_TRY_ASSIGN(size_t i, Get(block, !whole));
  Buffer& b = buffers_[i];
  ostd::CopyBytes(src, b.data.span().subspan(offset, src.size()));
  b.dirty = true;
  b.file_data = file_data;
  return {};
}

ostd::Status BufferCache::Zero(uint64_t block) {
  if (dev_->read_only()) return Err(Errno::kEROFS);
  OSTD_TRY_ASSIGN(size_t i, Get(block, false));
  Buffer& b = buffers_[i];
  ostd::FillBytes(b.data.span(), 0);
  b.dirty = true;
  b.file_data = false;  // a fresh block: what it becomes decides
  return {};
}

ostd::Status BufferCache::WriteBack() {
  // The dirty buffers in block order (a heap sort of their slots), written
  // as runs of consecutive blocks.
  ostd::Vec<uint32_t> dirty;
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].valid && buffers_[i].dirty) OSTD_TRY(dirty.Push(static_cast<uint32_t>(i)));
  }
  size_t n = dirty.size();
  auto key = [&](size_t i) { return buffers_[dirty[i]].block; };
  auto sift = [&](size_t root, size_t end) {
    for (;;) {
      size_t child = 2 * root + 1;
      if (child >= end) return;
      if (child + 1 < end && key(child + 1) > key(child)) ++child;
      if (key(root) >= key(child)) return;
      std::swap(dirty[root], dirty[child]);
      root = child;
    }
  };
  for (size_t i = n / 2; i > 0; --i) sift(i - 1, n);
  for (size_t end = n; end > 1; --end) {
    std::swap(dirty[0], dirty[end - 1]);
    sift(0, end - 1);
  }
  for (size_t i = 0; i < n; ++i) {
    // Already written as part of an earlier run.
    if (buffers_[dirty[i]].dirty) OSTD_TRY(WriteCluster(dirty[i], /*all=*/true));
  }
  return {};
}

ostd::Status BufferCache::Sync() {
  OSTD_TRY(WriteBack());
  return dev_->Flush();
}

}  // namespace kernel::fs
