#include "lib/tlb_op.h"

namespace klib {

uint64_t TlbFlushBatch::total_pages() const {
  uint64_t total = 0;
  for (const TlbFlushOp& op : ops()) total += op.page_count();
  return total;
}

void TlbFlushBatch::Add(TlbFlushOp op) {
  if (op.empty() || is_all()) return;
  if (op.is_all()) {
    ops_[0] = op;
    count_ = 1;
    return;
  }
  // Merge with every queued op that overlaps or touches it; the merged op
  // replaces them (ops stay disjoint).
  Vaddr start = op.start();
  Vaddr end = op.end();
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i) {
    const TlbFlushOp& q = ops_[i];
    if (q.start() <= end && start <= q.end()) {
      if (q.start() < start) start = q.start();
      if (q.end() > end) end = q.end();
    } else {
      ops_[kept++] = q;
    }
  }
  count_ = kept;
  TlbFlushOp merged = TlbFlushOp::Range(start, end);
  if (merged.is_all() || count_ == kCapacity ||
      total_pages() + merged.page_count() > TlbFlushOp::kMaxPages) {
    ops_[0] = TlbFlushOp::All();
    count_ = 1;
    return;
  }
  ops_[count_++] = merged;
}

}  // namespace klib
