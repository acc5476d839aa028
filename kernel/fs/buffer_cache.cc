#include "kernel/fs/buffer_cache.h"

#include <utility>

#include "ostd/util/span_copy.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

ostd::Result<BufferCache> BufferCache::Create(BlockDevice& dev, uint32_t block_size,
                                              size_t capacity) {
  if (block_size < kSectorSize || block_size > 65536 || (block_size & (block_size - 1)) != 0 ||
      capacity == 0) {
    return Err(Errno::kEINVAL);
  }
  BufferCache cache(dev, block_size, capacity);
  OSTD_TRY(cache.buffers_.Reserve(capacity));
  return cache;
}

size_t BufferCache::dirty_count() const {
  size_t n = 0;
  for (const Buffer& b : buffers_) n += b.valid && b.dirty ? 1 : 0;
  return n;
}

ostd::Status BufferCache::WriteOne(Buffer& b) {
  ostd::Status st = dev_->WriteSectors(b.block * (block_size_ / kSectorSize), b.data.span());
  if (!st) return st;
  b.dirty = false;
  ++stats_.writebacks;
  return {};
}

ostd::Result<size_t> BufferCache::Victim() {
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (!buffers_[i].valid) return i;
  }
  if (buffers_.size() < capacity_) {
    Buffer fresh;
    OSTD_TRY(fresh.data.Resize(block_size_));
    OSTD_TRY(buffers_.Push(std::move(fresh)));
    return buffers_.size() - 1;
  }
  size_t lru = 0;
  for (size_t i = 1; i < buffers_.size(); ++i) {
    if (buffers_[i].last_use < buffers_[lru].last_use) lru = i;
  }
  Buffer& b = buffers_[lru];
  if (b.dirty) OSTD_TRY(WriteOne(b));
  b.valid = false;
  ++stats_.evictions;
  return lru;
}

ostd::Result<size_t> BufferCache::Get(uint64_t block, bool fill) {
  if (block >= blocks_) return Err(Errno::kEIO);
  for (size_t i = 0; i < buffers_.size(); ++i) {
    Buffer& b = buffers_[i];
    if (b.valid && b.block == block) {
      b.last_use = ++clock_;
      ++stats_.hits;
      return i;
    }
  }
  OSTD_TRY_ASSIGN(size_t i, Victim());
  Buffer& b = buffers_[i];
  if (fill) {
    OSTD_TRY(dev_->ReadSectors(block * (block_size_ / kSectorSize), b.data.span()));
    ++stats_.misses;
  }
  b.block = block;
  b.valid = true;
  b.dirty = false;
  b.last_use = ++clock_;
  return i;
}

ostd::Status BufferCache::Read(uint64_t block, size_t offset, std::span<uint8_t> dst) {
  if (offset > block_size_ || dst.size() > block_size_ - offset) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(size_t i, Get(block, true));
  ostd::CopyBytes(std::span<const uint8_t>(buffers_[i].data.span()).subspan(offset, dst.size()),
                  dst);
  return {};
}

ostd::Status BufferCache::Write(uint64_t block, size_t offset, std::span<const uint8_t> src) {
  if (offset > block_size_ || src.size() > block_size_ - offset) return Err(Errno::kEINVAL);
  if (dev_->read_only()) return Err(Errno::kEROFS);
  bool whole = offset == 0 && src.size() == block_size_;
  OSTD_TRY_ASSIGN(size_t i, Get(block, !whole));
  Buffer& b = buffers_[i];
  ostd::CopyBytes(src, b.data.span().subspan(offset, src.size()));
  b.dirty = true;
  return {};
}

ostd::Status BufferCache::Zero(uint64_t block) {
  if (dev_->read_only()) return Err(Errno::kEROFS);
  OSTD_TRY_ASSIGN(size_t i, Get(block, false));
  Buffer& b = buffers_[i];
  for (uint8_t& byte : b.data) byte = 0;
  b.dirty = true;
  return {};
}

ostd::Status BufferCache::WriteBack() {
  // Ascending block order: pick the lowest dirty block above the last one
  // written (the cache is small; this keeps no extra state).
  bool any = true;
  uint64_t next = 0;
  while (any) {
    any = false;
    size_t best = 0;
    for (size_t i = 0; i < buffers_.size(); ++i) {
      const Buffer& b = buffers_[i];
      if (b.valid && b.dirty && b.block >= next && (!any || b.block < buffers_[best].block)) {
        best = i;
        any = true;
      }
    }
    if (any) {
      OSTD_TRY(WriteOne(buffers_[best]));
      next = buffers_[best].block + 1;
    }
  }
  return {};
}

ostd::Status BufferCache::Sync() {
  OSTD_TRY(WriteBack());
  return dev_->Flush();
}

}  // namespace kernel::fs
