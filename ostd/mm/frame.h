// Physical page frames.
//
// Frames come from a bitmap allocator built from the boot memory map. Running out
// is an ENOMEM result, never a panic. Freed frames may be handed out again at once:
// the caller must have removed every mapping (and flushed TLBs) first.
#ifndef OSTD_MM_FRAME_H_
#define OSTD_MM_FRAME_H_

#include <cstddef>
#include <cstdint>

#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::mm {

class FrameAllocOptions {
 public:
  // Fill the frames with zeros before returning them (default: true).
  FrameAllocOptions& zeroed(bool z) {
    zeroed_ = z;
    return *this;
  }
  // One 4 KiB frame.
  Result<Paddr> AllocOne() const;
  // `count` physically contiguous frames, the first aligned to `align_frames`
  // frames (a power of two). EINVAL for count 0 or a bad alignment.
  Result<Paddr> AllocContiguous(size_t count, size_t align_frames = 1) const;

 private:
  bool zeroed_ = true;
};

// Returns frames to the allocator. Panics on a frame that is not allocated
// (a double free is a broken invariant).
void FreeFrames(Paddr first, size_t count = 1);

struct FrameStats {
  uint64_t total_frames;  // usable frames the allocator manages
  uint64_t free_frames;
};
FrameStats GetFrameStats();

}  // namespace ostd::mm

#endif  // OSTD_MM_FRAME_H_
