// TLB shootdown (internal to the TCB: DeferFree frees frames by physical
// address): flush translations on a set of CPUs and free frames only after
// every one of them has dropped the translations that pointed at them.
//
//   mm::TlbFlusher flusher(cpus_that_used_the_space);
//   ... unmap va (page table lock held) ...
//   flusher.Issue(mm::TlbFlushOp::Page(va));
//   flusher.DeferFree(old_frame, 1);
//   ... drop the page table lock ...
//   flusher.Dispatch();  // flushed everywhere, then old_frame freed
#ifndef OSTD_SMP_INTERNAL_TLB_H_
#define OSTD_SMP_INTERNAL_TLB_H_

#include <cstddef>

#include "ostd/boot.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/smp/tlb_op.h"

namespace ostd::mm {

// Carries out `op` on this CPU's TLB only. A full flush also drops global
// translations (kernel mappings).
void FlushLocalTlb(TlbFlushOp op);

// Batches flush ops for a set of target CPUs and frees deferred frames once
// every target has carried them out. Not thread-safe: one owner at a time.
class TlbFlusher {
 public:
  // Frame ranges DeferFree() can hold before it dispatches early.
  static constexpr size_t kMaxDeferred = 16;

  // Flushes will go to `targets` (CPUs not online are skipped).
  explicit TlbFlusher(CpuSet targets) : targets_(targets) {}
  // Dispatches whatever is still pending (so deferred frames are not leaked).
  ~TlbFlusher() { Dispatch(); }
  TlbFlusher(const TlbFlusher&) = delete;
  TlbFlusher& operator=(const TlbFlusher&) = delete;

  CpuSet targets() const { return targets_; }

  // Queues `op` (ops merge and collapse into a full flush, see TlbFlushBatch).
  void Issue(TlbFlushOp op) { batch_.Add(op); }

  // Records frames [first, first + count pages) to give back with
  // mm::FreeFrames only after the queued flushes completed on every target.
  // The caller must already have removed the mappings and issued their flush.
  // When kMaxDeferred ranges are waiting, dispatches the queued ops first.
  void DeferFree(Paddr first, size_t count);

  // Carries out the queued ops on this CPU (if it is a target) and on every
  // other online target, waits until all have done so, then frees the
  // deferred frames. May spin for a while; call with interrupts enabled and
  // without holding a SpinLock another CPU may wait for with interrupts off.
  // Does nothing when nothing is queued.
  void Dispatch();

  // True if nothing is queued and nothing is waiting to be freed.
  bool empty() const { return batch_.empty() && deferred_count_ == 0; }

 private:
  struct FrameRange {
    Paddr first;
    size_t count;
  };
  CpuSet targets_;
  TlbFlushBatch batch_;
  FrameRange deferred_[kMaxDeferred] = {};
  size_t deferred_count_ = 0;
};

}  // namespace ostd::mm

#endif  // OSTD_SMP_INTERNAL_TLB_H_
