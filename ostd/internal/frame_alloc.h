// The raw frame allocator: frames by physical address, for the framework's own
// objects (page tables, kernel stacks, heap, DMA) and for its tests. Internal
// to the TCB: a Paddr here can be freed or mapped, so kernels get frames only as
// UFrame/USegment handles (ostd/mm/frame.h).
//
// A frame whose last reference goes away may be handed out again at once: the
// caller must have removed every mapping (and flushed TLBs) first.
#ifndef OSTD_INTERNAL_FRAME_ALLOC_H_
#define OSTD_INTERNAL_FRAME_ALLOC_H_

#include <cstddef>
#include <cstdint>

#include "ostd/boot.h"
#include "ostd/mm/frame.h"
#include "ostd/mm/internal/frame_meta.h"
#include "ostd/result.h"

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

// The physical addresses behind frame handles, and handles from references
// the TCB already counted.
struct FrameAccess {
  static Paddr PaddrOf(const UFrame& f) { return f.paddr_; }
  static Paddr PaddrOf(const USegment& s) { return s.paddr_; }
  // A handle taking over one reference to an allocated untyped frame.
  static UFrame Adopt(Paddr p) { return UFrame(p); }
};

// Lazily accepted memory (a TDX guest's EFI unaccepted memory, docs/tdx.md):
// frames in a unit not yet accepted are accepted (internal::AcceptMemory)
// just before they are handed out.
//
// Marks the whole 2 MiB units of [base, base + len) unaccepted, for the
// simulated TD of a `tdx_sim` kernel, which turns free memory into what
// firmware would have reported: the caller owns every frame of the range
// (frees them afterwards) and has made the pages pending.
void MarkUnacceptedForSim(Paddr base, uint64_t len);

// Units of 2 MiB still unaccepted, and accepted so far (lazily, at boot).
struct AcceptStats {
  uint64_t pending_units = 0;
  uint64_t accepted_units = 0;
};
AcceptStats GetAcceptStats();

}  // namespace ostd::mm

#endif  // OSTD_INTERNAL_FRAME_ALLOC_H_
