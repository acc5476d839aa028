// Physical page frames.
//
// Frames come from a bitmap allocator built from the boot memory map; every
// frame also has a metadata word (ostd/mm/frame_meta.h) with its usage and a
// reference count, and a frame is handed out only after an atomic claim of that
// word succeeds. Running out is an ENOMEM result, never a panic. A frame whose
// last reference goes away may be handed out again at once: the caller must have
// removed every mapping (and flushed TLBs) first.
#ifndef OSTD_MM_FRAME_H_
#define OSTD_MM_FRAME_H_

#include <cstddef>
#include <cstdint>

#include "ostd/boot.h"
#include "ostd/mm/frame_meta.h"
#include "ostd/result.h"

namespace ostd::vm {
class VmSpace;
}

namespace ostd::mm {

class FrameAllocOptions {
 public:
  // Fill the frames with zeros before returning them (default: true).
  FrameAllocOptions& zeroed(bool z) {
    zeroed_ = z;
    return *this;
  }
  // What the frames are for (default: kUntyped). Typed usages are for the
  // framework's own objects (page tables, stacks, heap).
  FrameAllocOptions& usage(FrameUsage u) {
    usage_ = u;
    return *this;
  }
  // One 4 KiB frame, with one reference.
  Result<Paddr> AllocOne() const;
  // `count` physically contiguous frames, the first aligned to `align_frames`
  // frames (a power of two). EINVAL for count 0 or a bad alignment.
  Result<Paddr> AllocContiguous(size_t count, size_t align_frames = 1) const;

 private:
  bool zeroed_ = true;
  FrameUsage usage_ = FrameUsage::kUntyped;
};

// Drops one reference to each frame; frames whose last reference goes are
// returned to the allocator. Panics on a frame that is not allocated (a double
// free is a broken invariant).
void FreeFrames(Paddr first, size_t count = 1);

// The usage and reference count recorded for the frame at `p` (kReserved for
// addresses outside managed memory).
FrameUsage GetFrameUsage(Paddr p);
uint64_t GetFrameRefcount(Paddr p);

// An owning, reference-counted handle to one untyped frame (user pages, DMA,
// page cache). Copies share the frame; the last handle frees it. Its contents are
// reachable only through VmReader/VmWriter, never as a raw pointer.
class UFrame {
 public:
  // A new zeroed (or not) frame. ENOMEM when memory is exhausted.
  static Result<UFrame> Alloc(bool zeroed = true);

  UFrame(const UFrame& other);
  UFrame& operator=(const UFrame& other);
  UFrame(UFrame&& other) noexcept : paddr_(other.paddr_) { other.paddr_ = kNone; }
  UFrame& operator=(UFrame&& other) noexcept;
  ~UFrame() { Reset(); }

  Paddr paddr() const { return paddr_; }
  uint64_t refcount() const { return GetFrameRefcount(paddr_); }

 private:
  // A mapping takes over this handle's reference (the page table then owns it).
  friend class ::ostd::vm::VmSpace;
  Paddr Leak() {
    Paddr p = paddr_;
    paddr_ = kNone;
    return p;
  }

  static constexpr Paddr kNone = ~Paddr{0};
  explicit UFrame(Paddr p) : paddr_(p) {}
  void Reset();
  Paddr paddr_;
};

// An owning handle to physically contiguous untyped frames, freed on destruction.
class USegment {
 public:
  static Result<USegment> Alloc(size_t count, bool zeroed = true, size_t align_frames = 1);
  USegment(USegment&& other) : paddr_(other.paddr_), count_(other.count_) { other.count_ = 0; }
  USegment& operator=(USegment&& other);
  USegment(const USegment&) = delete;
  USegment& operator=(const USegment&) = delete;
  ~USegment() { Reset(); }

  Paddr paddr() const { return paddr_; }
  size_t count() const { return count_; }
  uint64_t size() const { return count_ * 4096; }

 private:
  USegment(Paddr p, size_t count) : paddr_(p), count_(count) {}
  void Reset();
  Paddr paddr_;
  size_t count_;
};

struct FrameStats {
  uint64_t total_frames;  // usable frames the allocator manages
  uint64_t free_frames;
};
FrameStats GetFrameStats();

}  // namespace ostd::mm

#endif  // OSTD_MM_FRAME_H_
