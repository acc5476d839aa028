// TLB flush operations: what to drop from a TLB, encoded in one word, and a
// small batch that collapses into a full flush when it grows. Pure logic,
// built for the host (tlb_op_test.cc) and the kernel; ostd/smp/tlb.h executes
// them on CPUs.
#ifndef LIB_TLB_OP_H_
#define LIB_TLB_OP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/addr.h"

namespace klib {

// One flush: a run of 1..kMaxPages 4 KiB pages, everything, or nothing (an
// empty range). Encoded as one word: the page-aligned start address with the
// page count in the low 12 bits, or kAllWord for a full flush.
class TlbFlushOp {
 public:
  static constexpr uint64_t kPageSize = 4096;
  // Ranges longer than this become a full flush: invalidating page by page
  // then costs more than refilling the TLB.
  static constexpr uint64_t kMaxPages = 32;

  // An empty op (flushes nothing).
  constexpr TlbFlushOp() = default;
  // Everything (including global pages).
  static constexpr TlbFlushOp All() { return TlbFlushOp(kAllWord); }
  // The page containing `va`.
  static constexpr TlbFlushOp Page(Vaddr va) { return TlbFlushOp((va & ~kLowMask) | 1); }
  // Every page overlapping [start, end); All() if that is more than kMaxPages
  // pages, an empty op if end <= start.
  static constexpr TlbFlushOp Range(Vaddr start, Vaddr end) {
    if (end <= start) return TlbFlushOp(0);
    uint64_t pages = (end - 1) / kPageSize - start / kPageSize + 1;
    if (pages > kMaxPages) return All();
    return TlbFlushOp((start & ~kLowMask) | pages);
  }
  // The op encoded as `word` by word(); nullopt-free: an invalid word (a page
  // count above kMaxPages that is not kAllWord) decodes as All(), the safe side.
  static constexpr TlbFlushOp FromWord(uint64_t word) {
    uint64_t pages = word & kLowMask;
    if (word != kAllWord && pages > kMaxPages) return All();
    return TlbFlushOp(word);
  }

  constexpr uint64_t word() const { return word_; }
  constexpr bool is_all() const { return word_ == kAllWord; }
  constexpr bool empty() const { return !is_all() && page_count() == 0; }
  // First page's address; 0 for All().
  constexpr Vaddr start() const { return is_all() ? 0 : word_ & ~kLowMask; }
  // Pages covered; 0 for All() and for an empty op.
  constexpr uint64_t page_count() const { return is_all() ? 0 : word_ & kLowMask; }
  // One past the last page covered (start() + page_count() pages).
  constexpr Vaddr end() const { return start() + page_count() * kPageSize; }

  friend constexpr bool operator==(TlbFlushOp, TlbFlushOp) = default;

 private:
  static constexpr uint64_t kLowMask = kPageSize - 1;
  static constexpr uint64_t kAllWord = kLowMask;
  explicit constexpr TlbFlushOp(uint64_t word) : word_(word) {}
  uint64_t word_ = 0;
};

// Up to kCapacity ops to carry out together. Adding an op that overlaps or
// touches a queued one merges them; when the ops would cover more than
// TlbFlushOp::kMaxPages pages in total or need more than kCapacity entries,
// the batch collapses into a single All().
class TlbFlushBatch {
 public:
  static constexpr size_t kCapacity = 8;

  void Add(TlbFlushOp op);
  void Clear() { count_ = 0; }

  bool empty() const { return count_ == 0; }
  bool is_all() const { return count_ == 1 && ops_[0].is_all(); }
  // The queued ops (disjoint; a full flush is the only op when present).
  std::span<const TlbFlushOp> ops() const {
    return std::span<const TlbFlushOp>(ops_).first(count_);
  }
  // Pages covered by the queued ops (0 for a full flush).
  uint64_t total_pages() const;

 private:
  std::array<TlbFlushOp, kCapacity> ops_{};
  size_t count_ = 0;
};

}  // namespace klib

#endif  // LIB_TLB_OP_H_
