// A write-back cache of fixed-size blocks over a BlockDevice, as file
// systems use it: reads fill a bounded set of buffers, writes only mark a
// buffer dirty, and nothing reaches the disk until the buffer is evicted
// (least recently used first) or WriteBack/Sync is called. Sync also asks the
// device to make the writes durable (virtio-blk's flush).
//
// The device sees few, large requests: a dirty buffer written back takes the
// dirty buffers of the blocks right after it along (one request of up to
// kMaxClusterBytes) if they hold file data, WriteBack writes runs of
// consecutive dirty blocks the same way. Eviction passes over dirty
// metadata (inode tables, bitmaps, directories: whatever the file system
// did not write as file data), up to kMaxVictimSearch buffers from the LRU
// end, so that between two syncs no half of a metadata update (a bitmap
// without its inode) reaches the disk unless the cache is full of them; and a read miss that
// continues the previous one reads ahead (a window doubling from 1 block up to kMaxClusterBytes, or
// a quarter of the cache if that is smaller), as Linux's readahead does for a sequential reader.
// Lookups go through a hash index and eviction through an LRU list, both O(1).
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
  // The most one device request carries (a write-back cluster, a readahead).
  static constexpr size_t kMaxClusterBytes = 256 * 1024;

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
  // Calls fn(bytes) with all of `block`'s bytes in place (read from the
  // device first if it is not cached) and returns what fn returns, an
  // ostd::Result: the way to scan a block (a directory) without copying it.
  // The span is valid only during the call, and fn must not call the cache.
  template <typename F>
  auto Visit(uint64_t block, F&& fn) -> decltype(fn(std::span<const uint8_t>())) {
    ostd::Result<size_t> i = Get(block, true);
    if (!i) return ostd::Err(i.error());
    return fn(std::span<const uint8_t>(buffers_[*i].data.span()));
  }
  // Copies `src` to `offset` in `block` and marks it dirty. A write of the
  // whole block does not read it first. `file_data`: the bytes are a file's
  // contents, which may reach the disk before the next sync (see above);
  // otherwise they are metadata and stay until WriteBack if they can.
  ostd::Status Write(uint64_t block, size_t offset, std::span<const uint8_t> src,
                     bool file_data = false);
  // Fills `block` with zeros (dirty), without reading it.
  ostd::Status Zero(uint64_t block);
  // Writes every dirty buffer to the device (in block order). On an error,
  // the buffers not written stay dirty.
  ostd::Status WriteBack();
  // WriteBack, then the device's flush: on success every write made before
  // the call is durable.
  ostd::Status Sync();

 private:
  static constexpr uint32_t kNone = 0xffffffff;
  // How far from the LRU end eviction looks for a buffer it may write.
  static constexpr uint32_t kMaxVictimSearch = 512;
  struct Buffer {
    uint64_t block = 0;
    bool valid = false;
    bool dirty = false;
    bool file_data = false;  // last written as file data (not metadata)
    uint32_t prev = kNone;   // LRU list of valid buffers: towards the most recent
    uint32_t next = kNone;   // towards the least recent
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
  // A buffer to reuse: a new one while below capacity, else the least
  // recently used (written back first if dirty). It is out of the index
  // and the LRU list.
  ostd::Result<size_t> Victim();
  // Writes buffer `slot` (dirty) back with the dirty buffers of the blocks
  // that follow it, in one request: all of them (`all`, WriteBack) or only
  // those holding file data (an eviction).
  ostd::Status WriteCluster(size_t slot, bool all);
  // Reads `count` blocks from `block` (none cached) into fresh buffers; the
  // buffer of `block`.
  ostd::Result<size_t> ReadRun(uint64_t block, size_t count);
  // Blocks per request.
  size_t ClusterBlocks() const;

  // The hash index (open addressing, linear probing): block -> buffer.
  size_t Home(uint64_t block) const;
  uint32_t Find(uint64_t block) const;
  ostd::Status IndexInsert(uint64_t block, uint32_t slot);
  void IndexErase(uint64_t block);
  // The LRU list.
  void Unlink(uint32_t slot);
  void PushFront(uint32_t slot);

  BlockDevice* dev_;
  uint32_t block_size_;
  size_t capacity_;
  uint64_t blocks_;
  BufferCacheStats stats_;
  ostd::Vec<Buffer> buffers_;
  ostd::Vec<uint32_t> free_;         // buffers out of use (after a failed read)
  ostd::Vec<uint32_t> index_;        // a power of two >= 2 * capacity_ slots, kNone if empty
  uint32_t head_ = kNone;            // most recently used
  uint32_t tail_ = kNone;            // least recently used
  ostd::Vec<uint8_t> scratch_;       // one request's bytes, for clusters and readahead
  uint64_t ra_next_ = ~uint64_t{0};  // the block after the last read miss (sequential if next)
  size_t ra_window_ = 1;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_BUFFER_CACHE_H_
