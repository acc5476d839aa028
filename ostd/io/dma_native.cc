// The DMA backend (ostd/io/internal/dma_backend.h).
//
// Native x86: no IOMMU is programmed and devices snoop the CPU caches, so a
// device address is the physical address, mapping changes nothing and a sync
// is an ordering fence.
//
// A TD (internal::SharedPteMark() != 0): the host cannot read private memory,
// so everything a device touches is converted to shared. A coherent buffer's
// own frames are converted while it lives: their linear-map entries get the
// shared mark (every CPU's TLB flushed), then MapGPA tells the host. A stream
// keeps the driver's frames private and bounces through shared frames of its
// own, copied in the direction of each sync. Device addresses carry no shared
// bit: the host reaches guest memory for devices by the GPA without it, and
// the conversion decides what it finds there. Going back to private clears
// the mark, flushes, converts and accepts the pages again (zeroing them);
// frames whose conversion the host refused are never handed out again.
#include <algorithm>
#include <atomic>

#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/smp.h"
#include "ostd/internal/tdx_hooks.h"
#include "ostd/io/internal/dma_backend.h"
#include "ostd/log.h"
#include "ostd/smp/internal/tlb.h"

namespace ostd::internal {
namespace {

using mm::kPageSize;

// Sets or clears the shared mark on the linear map of [base, base + size)
// and flushes it from every CPU's TLB (global entries: page by page, or all).
Status MarkShared(Paddr base, uint64_t size, uint64_t mark, bool shared) {
  Status s = MarkLinearMap(base, base + size, mark, shared);
  mm::TlbFlusher flusher(OnlineCpus());
  flusher.Issue(mm::TlbFlushOp::Range(PhysToVirt(base), PhysToVirt(base + size)));
  flusher.Dispatch();
  return s;
}

void Leak(Paddr base, uint64_t size) {
  OSTD_LOG_WARN("dma: the host refused to convert {:#x}+{:#x}; the frames are not reused", base,
                size);
}

// Private frames [base, base + size) become shared: page tables first, then
// the host. ENOMEM (no frame to split a large page) or EIO (the host
// refused); everything is turned back if it can be. `*lost` is set (and
// logged) when it cannot: the frames must never be reused then.
Status Share(Paddr base, uint64_t size, uint64_t mark, bool* lost) {
  *lost = false;
  Status marked = MarkShared(base, size, mark, true);
  Status converted = marked.has_value() ? ConvertMemory(base, size, true) : marked;
  if (converted.has_value()) return {};
  // Undo: clear the marks that were set (a split that ran out of frames set
  // only some) and, if the host saw anything, convert back.
  bool unmarked = MarkShared(base, size, mark, false).has_value();
  bool restored = !marked.has_value() || ConvertMemory(base, size, false).has_value();
  *lost = !unmarked || !restored;
  if (*lost) Leak(base, size);
  bool no_frame = !marked.has_value() && marked.error() == Errno::kENOMEM;
  return Err(no_frame ? Errno::kENOMEM : Errno::kEIO);
}

// Shared frames back to private, accepted and zeroed. False (logged) if the
// host or the module refused: the frames must never be reused.
bool Unshare(Paddr base, uint64_t size, uint64_t mark) {
  if (MarkShared(base, size, mark, false).has_value() &&
      ConvertMemory(base, size, false).has_value()) {
    return true;
  }
  Leak(base, size);
  return false;
}

}  // namespace

Result<uint64_t> DmaMapCoherent(Paddr paddr, uint64_t size, bool* lost) {
  *lost = false;
  uint64_t mark = SharedPteMark();
  if (mark == 0) return paddr;
  OSTD_TRY(Share(paddr, size, mark, lost));
  // What a shared page holds is the host's: start from zeros, as natively.
  std::ranges::fill(PhysBytes(paddr, size), uint8_t{0});
  return paddr;
}

bool DmaUnmapCoherent(Paddr paddr, uint64_t size, uint64_t /*daddr*/) {
  // Orders the owner's last accesses before the frames can be reused.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t mark = SharedPteMark();
  return mark == 0 || Unshare(paddr, size, mark);
}

Result<uint64_t> DmaMapStream(Paddr paddr, uint64_t size, dma::DmaDirection /*direction*/) {
  uint64_t mark = SharedPteMark();
  if (mark == 0) return paddr;
  uint64_t pages = size / kPageSize;
  OSTD_TRY_ASSIGN(Paddr bounce, mm::FrameAllocOptions().zeroed(false).AllocContiguous(pages));
  bool lost = false;
  if (Status s = Share(bounce, size, mark, &lost); !s.has_value()) {
    if (!lost) mm::FreeFrames(bounce, pages);
    return Err(s.error());
  }
  // The bounce starts as a copy of the frames, whatever the direction (as
  // Linux's swiotlb does): a device that writes less than the whole buffer
  // leaves the frames' own bytes in the rest, not what the host had there.
  std::ranges::copy(PhysBytes(paddr, size), PhysBytes(bounce, size).begin());
  return bounce;
}

void DmaUnmapStream(Paddr paddr, uint64_t size, uint64_t daddr, dma::DmaDirection /*direction*/) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t mark = SharedPteMark();
  if (mark == 0 || daddr == paddr) return;
  if (Unshare(daddr, size, mark)) mm::FreeFrames(daddr, size / kPageSize);
}

Status DmaSyncStream(Paddr paddr, uint64_t daddr, uint64_t offset, uint64_t len,
                     dma::DmaDirection which) {
  // x86 DMA is cache-coherent: the CPU's stores before this point are visible
  // to a device told about them afterwards, and loads after it see what the
  // device wrote before its completion was observed. A full fence also orders
  // the accesses against MMIO doorbells and completion reads.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (SharedPteMark() == 0 || daddr == paddr || len == 0) return {};
  switch (which) {
    case dma::DmaDirection::kToDevice:
      std::ranges::copy(PhysBytes(paddr + offset, len), PhysBytes(daddr + offset, len).begin());
      break;
    case dma::DmaDirection::kFromDevice:
      std::ranges::copy(PhysBytes(daddr + offset, len), PhysBytes(paddr + offset, len).begin());
      break;
    case dma::DmaDirection::kBidirectional:
      // A bounce buffer must be copied one way or the other, and one call
      // cannot say which: sync each direction on its own.
      return Err(Errno::kEINVAL);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return {};
}

}  // namespace ostd::internal
