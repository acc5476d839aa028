// A byte ring over caller-provided storage (pure logic). Producers fill the
// contiguous free span at the tail and Commit(); consumers drain the
// contiguous used span at the head and Consume(). Not synchronised: the owner
// (a pipe, a tty) guards it with its lock.
#ifndef KERNEL_FS_RING_BUFFER_H_
#define KERNEL_FS_RING_BUFFER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kernel::fs {

class RingBuffer {
 public:
  RingBuffer() = default;
  explicit RingBuffer(std::span<uint8_t> storage) : buf_(storage) {}

  size_t capacity() const { return buf_.size(); }
  size_t size() const { return size_; }
  size_t free() const { return buf_.size() - size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == buf_.size(); }

  // The contiguous free bytes at the tail (may be shorter than free()).
  std::span<uint8_t> WriteSpan() {
    if (full()) return {};
    size_t tail = (head_ + size_) % buf_.size();
    size_t n = tail >= head_ ? buf_.size() - tail : head_ - tail;
    return buf_.subspan(tail, std::min(n, free()));
  }
  // Marks `n` bytes of WriteSpan() as filled.
  void Commit(size_t n) { size_ += std::min(n, free()); }

  // The contiguous used bytes at the head (may be shorter than size()).
  std::span<const uint8_t> ReadSpan() const {
    if (empty()) return {};
    size_t n = std::min(size_, buf_.size() - head_);
    return std::span<const uint8_t>(buf_).subspan(head_, n);
  }
  // The contiguous used bytes starting `offset` bytes after the head (empty
  // past the end): what tee reads without consuming.
  std::span<const uint8_t> PeekSpan(size_t offset) const {
    if (offset >= size_) return {};
    size_t start = (head_ + offset) % buf_.size();
    size_t n = std::min(size_ - offset, buf_.size() - start);
    return std::span<const uint8_t>(buf_).subspan(start, n);
  }
  // Drops `n` bytes from the head.
  void Consume(size_t n) {
    n = std::min(n, size_);
    head_ = (head_ + n) % buf_.size();
    size_ -= n;
    if (size_ == 0) head_ = 0;  // keep writes contiguous when possible
  }

  // Byte-wise helpers (tests, the tty).
  bool Push(uint8_t b) {
    std::span<uint8_t> w = WriteSpan();
    if (w.empty()) return false;
    w[0] = b;
    Commit(1);
    return true;
  }
  uint8_t Peek(size_t i) const { return buf_[(head_ + i) % buf_.size()]; }
  // Removes the most recently pushed byte (line editing).
  bool PopBack() {
    if (empty()) return false;
    --size_;
    return true;
  }

 private:
  std::span<uint8_t> buf_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_RING_BUFFER_H_
