#include "ostd/smp/internal/tlb.h"

#include "arch/x86_64/cpu.h"
#include "ostd/cpu.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/sync.h"

namespace ostd::mm {
namespace {

// CallOnCpus body: carries out a batch (on the caller's stack) on this CPU.
void FlushBatchHere(void* arg) {
  // SAFETY: Dispatch() passes its own batch and waits until every target ran.
  const TlbFlushBatch& batch = *static_cast<const TlbFlushBatch*>(arg);
  for (TlbFlushOp op : batch.ops()) FlushLocalTlb(op);
}

}  // namespace

void FlushLocalTlb(TlbFlushOp op) {
  if (op.is_all()) {
    // Toggling CR4.PGE drops every translation, global ones included.
    IrqGuard irq_off;
    uint64_t cr4 = arch::ReadCr4();
    // SAFETY: clearing and restoring PGE changes nothing but the TLB contents.
    arch::WriteCr4(cr4 & ~arch::kCr4Pge);
    arch::WriteCr4(cr4);
    return;
  }
  // SAFETY: invlpg only drops translations; any address is allowed.
  for (uint64_t i = 0; i < op.page_count(); ++i) arch::Invlpg(op.start() + i * op.kPageSize);
}

void TlbFlusher::DeferFree(Paddr first, size_t count) {
  if (count == 0) return;
  if (deferred_count_ == kMaxDeferred) Dispatch();
  deferred_[deferred_count_++] = FrameRange{first, count};
}

void TlbFlusher::Dispatch() {
  if (!batch_.empty()) {
    CpuSet targets = targets_;
    if (targets.Contains(cpu::CurrentId())) FlushBatchHere(&batch_);
    // CallOnCpus skips this CPU and offline ones, and returns when all ran.
    internal::CallOnCpus(targets, &FlushBatchHere, &batch_);
    batch_.Clear();
  }
  for (size_t i = 0; i < deferred_count_; ++i) FreeFrames(deferred_[i].first, deferred_[i].count);
  deferred_count_ = 0;
}

}  // namespace ostd::mm
