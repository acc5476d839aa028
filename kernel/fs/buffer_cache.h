// A write-back cache of fixed-size blocks over a BlockDevice, as file
// systems use it: reads fill a bounded set of buffers, writes only mark a
// buffer dirty, and nothing reaches the disk until the buffer is evicted
// (least recently used first) or WriteBack/Sync is called. Sync also asks the
// device to make the writes durable (virtio-blk's flush).
//
// Memory is bounded: at most `capacity` buffers of `block_size` bytes each.
// Data moves by copy (Read/Write name a block and a byte range), so no
// caller ever holds a reference into a buffer that eviction could free.
//
// Errors: a block past the end of the device is EIO (a file system that asks
// for one read a corrupt block number); a device error is returned as the
// device reported it and leaves the buffer's state unchanged (a dirty buffer
// that failed to write back stays dirty, and the next WriteBack retries it).
// Writes to a read-only device are EROFS.
//
// Not synchronized: the file system that owns the cache serializes calls (one
// lock per mounted file system). Pure logic, tested on the host
// (buffer_cache_test.cc).
#ifndef KERNEL_FS_BUFFER_CACHE_H_
#define KERNEL_FS_BUFFER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/fs/block_io.h"
#include "ostd/result.h"
#include "ostd/util/vec.h"

namespace kernel::fs {

// Counters for tests and benchmarks.
struct BufferCacheStats {
  uint64_t hits = 0;        // block found in the cache
  uint64_t misses = 0;      // block read from the device
  uint64_t writebacks = 0;  // dirty blocks written to the device
  uint64_t evictions = 0;   // buffers reused for another block
};

class BufferCache {
 public:
  // A cache of up to `capacity` (>= 1) blocks of `block_size` bytes (a power
  // of two from 512 to 65536) over `dev`, which must outlive the cache.
  // EINVAL for a bad size or capacity.
  static ostd::Result<BufferCache> Create(BlockDevice& dev, uint32_t block_size, size_t capacity);

  BufferCache(BufferCache&&) noexcept = default;
  BufferCache& operator=(BufferCache&&) noexcept = default;

  uint32_t block_size() const { return block_size_; }
  // Whole blocks on the device.
  uint64_t blocks() const { return blocks_; }
  bool read_only() const { return dev_->read_only(); }
  size_t capacity() const { return capacity_; }
  const BufferCacheStats& stats() const { return stats_; }
  // Buffers holding writes not yet on the device.
  size_t dirty_count() const;

  // Copies dst.size() bytes from `offset` in `block`. EINVAL if the range
  // leaves the block.
  ostd::Status Read(uint64_t block, size_t offset, std::span<uint8_t> dst);
  // Copies `src` to `offset` in `block` and marks it dirty. A write of the
  // whole block does not read it first.
  ostd::Status Write(uint64_t block, size_t offset, std::span<const uint8_t> src);
  // Fills `block` with zeros (dirty), without reading it.
  ostd::Status Zero(uint64_t block);
  // Writes every dirty buffer to the device (in block order). On an error,
  // the buffers not written stay dirty.
  ostd::Status WriteBack();
  // WriteBack, then the device's flush: on success every write made before
  // the call is durable.
  ostd::Status Sync();

 private:
  struct Buffer {
    uint64_t block = 0;
    uint64_t last_use = 0;
    bool valid = false;
    bool dirty = false;
    ostd::Vec<uint8_t> data;
  };

  BufferCache(BlockDevice& dev, uint32_t block_size, size_t capacity)
      : dev_(&dev),
        block_size_(block_size),
        capacity_(capacity),
        blocks_(dev.sectors() * kSectorSize / block_size) {}

  // The index of the buffer holding `block`, read from the device unless
  // `fill` is false (the caller overwrites all of it).
  ostd::Result<size_t> Get(uint64_t block, bool fill);
  // A free buffer, or the least recently used one (written back if dirty).
  ostd::Result<size_t> Victim();
  ostd::Status WriteOne(Buffer& b);

  BlockDevice* dev_;
  uint32_t block_size_;
  size_t capacity_;
  uint64_t blocks_;
  uint64_t clock_ = 0;
  BufferCacheStats stats_;
  ostd::Vec<Buffer> buffers_;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_BUFFER_CACHE_H_
