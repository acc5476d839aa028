#include "ostd/mm/internal/frame_meta.h"

namespace ostd::mm {

std::string_view FrameUsageName(FrameUsage usage) {
  switch (usage) {
    case FrameUsage::kFree:
      return "free";
    case FrameUsage::kReserved:
      return "reserved";
    case FrameUsage::kPageTable:
      return "page-table";
    case FrameUsage::kKernelStack:
      return "kernel-stack";
    case FrameUsage::kHeap:
      return "heap";
    case FrameUsage::kMeta:
      return "meta";
    case FrameUsage::kUntyped:
      return "untyped";
  }
  return "?";
}

void FrameMetaTable::MarkReserved(size_t frame) {
  if (frame < words_.size()) {
    words_[frame].store(static_cast<uint64_t>(FrameUsage::kReserved), std::memory_order_relaxed);
  }
}

bool FrameMetaTable::TryClaim(size_t frame, FrameUsage usage) {
  if (frame >= words_.size() || usage == FrameUsage::kFree || usage == FrameUsage::kReserved) {
    return false;
  }
  uint64_t expected = 0;  // free, no references
  return words_[frame].compare_exchange_strong(expected, kRefOne | static_cast<uint64_t>(usage),
                                               std::memory_order_acq_rel);
}

bool FrameMetaTable::Get(size_t frame) {
  if (frame >= words_.size()) return false;
  uint64_t w = words_[frame].load(std::memory_order_relaxed);
  for (;;) {
    FrameUsage u = static_cast<FrameUsage>(w & kUsageMask);
    if (u == FrameUsage::kFree || u == FrameUsage::kReserved || (w >> 8) == 0) return false;
    if (words_[frame].compare_exchange_weak(w, w + kRefOne, std::memory_order_acq_rel)) return true;
  }
}

bool FrameMetaTable::Put(size_t frame, bool& misuse) {
  misuse = false;
  if (frame >= words_.size()) {
    misuse = true;
    return false;
  }
  uint64_t w = words_[frame].load(std::memory_order_relaxed);
  for (;;) {
    FrameUsage u = static_cast<FrameUsage>(w & kUsageMask);
    if (u == FrameUsage::kFree || u == FrameUsage::kReserved || (w >> 8) == 0) {
      misuse = true;
      return false;
    }
    uint64_t next = (w >> 8) == 1 ? 0 : w - kRefOne;  // the last reference frees it
    if (words_[frame].compare_exchange_weak(w, next, std::memory_order_acq_rel)) return next == 0;
  }
}

FrameUsage FrameMetaTable::usage(size_t frame) const {
  if (frame >= words_.size()) return FrameUsage::kReserved;
  return static_cast<FrameUsage>(words_[frame].load(std::memory_order_acquire) & kUsageMask);
}

uint64_t FrameMetaTable::refcount(size_t frame) const {
  if (frame >= words_.size()) return 0;
  return words_[frame].load(std::memory_order_acquire) >> 8;
}

}  // namespace ostd::mm
