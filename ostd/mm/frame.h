// Physical page frames, as owned handles.
//
// Frames come from a bitmap allocator built from the boot memory map; every
// frame also has a TCB-only metadata word (ostd/mm/internal/frame_meta.h) with its usage and a
// reference count, and a frame is handed out only after an atomic claim of that
// word succeeds. Running out is an ENOMEM result, never a panic.
//
// Outside the TCB frames exist only as UFrame and USegment handles: they cannot
// be made from numbers, do not reveal physical addresses, and free the frame
// when the last reference goes. A mapping of a frame (VmSpace::Map) and a
// reader or writer over it (VmReader::FromFrame) hold references of their own,
// so a frame is never reused while mapped, cached in a TLB or being accessed.
// The raw allocator (by physical address) is in ostd/internal/frame_alloc.h.
#ifndef OSTD_MM_FRAME_H_
#define OSTD_MM_FRAME_H_

#include <cstddef>
#include <cstdint>

#include "ostd/boot.h"
#include "ostd/result.h"

namespace ostd::vm {
class VmSpace;
class VmIoRaw;
}  // namespace ostd::vm

namespace ostd::mm {

// An owning, reference-counted handle to one untyped frame (user pages, DMA,
// page cache). Copies share the frame; the last handle frees it. Its contents are
// reachable only through VmReader/VmWriter, never as a raw pointer.
class UFrame {
 public:
  // A new zeroed (or not) frame. ENOMEM when memory is exhausted.
  static Result<UFrame> Alloc(bool zeroed = true);

  // Another handle to the same frame (one more reference); a copy of a
  // moved-from handle is moved-from too. Lock-free, any context.
  UFrame(const UFrame& other);
  // Makes this a handle to `other`'s frame (taking a reference) and drops the
  // reference to the frame it held, which is freed if that was the last one.
  // Self-assignment does nothing.
  UFrame& operator=(const UFrame& other);
  // Takes over `other`'s reference; `other` becomes moved-from (no frame).
  UFrame(UFrame&& other) noexcept : paddr_(other.paddr_) { other.paddr_ = kNone; }
  // Drops this handle's reference (freeing the frame if it was the last one)
  // and takes over `other`'s; `other` becomes moved-from. Self-move does
  // nothing.
  UFrame& operator=(UFrame&& other) noexcept;
  ~UFrame() { Reset(); }

  // The number of references to the frame: handles, mappings and frame
  // cursors (e.g. 1 when this handle is the only one); 0 for a moved-from
  // handle, which refers to no frame.
  uint64_t refcount() const;
  // True if both handles refer to the same frame (never for a moved-from one).
  bool SameFrame(const UFrame& other) const { return paddr_ != kNone && paddr_ == other.paddr_; }

 private:
  friend class ::ostd::vm::VmSpace;  // maps frames; a mapping takes over a reference
  friend class ::ostd::vm::VmIoRaw;  // reaches the contents for FromFrame cursors
  friend struct FrameAccess;         // the TCB (ostd/internal/frame_alloc.h)
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
// Move-only.
class USegment {
 public:
  // `count` new physically contiguous frames (zeroed unless `zeroed` is false)
  // whose first frame number is a multiple of `align_frames`. EINVAL if count
  // is 0 or align_frames is not a power of two; ENOMEM if no such run is free.
  static Result<USegment> Alloc(size_t count, bool zeroed = true, size_t align_frames = 1);
  // Takes over `other`'s frames; `other` becomes empty (count() 0).
  USegment(USegment&& other) : paddr_(other.paddr_), count_(other.count_) { other.count_ = 0; }
  // Frees the frames this segment held, then takes over `other`'s; `other`
  // becomes empty. Self-move does nothing.
  USegment& operator=(USegment&& other);
  USegment(const USegment&) = delete;
  USegment& operator=(const USegment&) = delete;
  ~USegment() { Reset(); }

  // The number of frames held; 0 for a moved-from segment.
  size_t count() const { return count_; }
  // The length in bytes (count() * 4096).
  uint64_t size() const { return count_ * 4096; }

 private:
  friend struct FrameAccess;  // the TCB (ostd/internal/frame_alloc.h)
  USegment(Paddr p, size_t count) : paddr_(p), count_(count) {}
  void Reset();
  Paddr paddr_;
  size_t count_;
};

// Counters of the frame allocator, for diagnostics and tests.
struct FrameStats {
  uint64_t total_frames;  // usable frames the allocator manages
  uint64_t free_frames;   // of those, how many are free now
};
// A consistent snapshot of the counters (read under the allocator's spin lock,
// so any context; the numbers may be stale by the time they are used).
FrameStats GetFrameStats();

}  // namespace ostd::mm

#endif  // OSTD_MM_FRAME_H_
