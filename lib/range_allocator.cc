#include "lib/range_allocator.h"

namespace klib {

void RangeSet::Reset(Paddr base, Paddr end) {
  count_ = 0;
  if (end > base) ranges_[count_++] = PhysRange{base, end};
}

bool RangeSet::CanRemove(Paddr base, Paddr end) const {
  if (end <= base || count_ < kCapacity) return true;
  // Only a range strictly containing the hole turns into two.
  for (size_t i = 0; i < count_; ++i) {
    if (ranges_[i].base < base && ranges_[i].end > end) return false;
  }
  return true;
}

Status RangeSet::Remove(Paddr base, Paddr end) {
  if (end <= base) return {};
  if (!CanRemove(base, end)) return Err(Errno::kENOSPC);
  for (size_t i = 0; i < count_; ++i) {
    PhysRange& r = ranges_[i];
    if (r.base < base && r.end > end) {
      // Split: shift the tail right by one and leave the two pieces.
      for (size_t j = count_; j > i + 1; --j) ranges_[j] = ranges_[j - 1];
      ranges_[i + 1] = PhysRange{end, r.end};
      r.end = base;
      ++count_;
      return {};  // ranges are disjoint: nothing else overlaps the hole
    }
  }
  // No split: every range becomes zero or one piece; compact in place.
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) {
    PhysRange r = ranges_[i];
    if (r.base < end && base < r.end) {
      if (r.base < base) {
        r.end = base;
      } else if (r.end > end) {
        r.base = end;
      } else {
        continue;  // wholly inside the hole
      }
    }
    ranges_[n++] = r;
  }
  count_ = n;
  return {};
}

bool RangeSet::Contains(Paddr base, Paddr end) const {
  if (end <= base) return true;
  // Ranges are disjoint and never adjacent (Reset makes one, Remove only cuts),
  // so a covered interval lies inside a single range.
  for (size_t i = 0; i < count_; ++i) {
    if (ranges_[i].base <= base && end <= ranges_[i].end) return true;
  }
  return false;
}

void IoRangeAllocator::Reset(Paddr limit) {
  privileged_.Reset(0, limit);
  insensitive_.Reset(0, limit);
  claim_count_ = 0;
}

Status IoRangeAllocator::Exclude(Paddr base, Paddr end) {
  // Check both first so that the two sets stay consistent on failure.
  if (!privileged_.CanRemove(base, end) || !insensitive_.CanRemove(base, end)) {
    return Err(Errno::kENOSPC);
  }
  KLIB_TRY(privileged_.Remove(base, end));
  return insensitive_.Remove(base, end);
}

Status IoRangeAllocator::AddSensitive(Paddr base, Paddr end) {
  return insensitive_.Remove(base, end);
}

bool IoRangeAllocator::IsAllowed(Paddr base, uint64_t len, bool sensitive) const {
  if (len == 0 || base + len < base) return false;
  return (sensitive ? privileged_ : insensitive_).Contains(base, base + len);
}

Status IoRangeAllocator::Claim(Paddr base, uint64_t len, bool sensitive) {
  if (len == 0) return Err(Errno::kEINVAL);
  if (base + len < base) return Err(Errno::kEOVERFLOW);
  Paddr end = base + len;
  if (!IsAllowed(base, len, sensitive)) return Err(Errno::kEACCES);
  for (size_t i = 0; i < claim_count_; ++i) {
    if (base < claims_[i].end && claims_[i].base < end) return Err(Errno::kEBUSY);
  }
  if (claim_count_ == kMaxClaims) return Err(Errno::kENOSPC);
  claims_[claim_count_++] = PhysRange{base, end};
  return {};
}

bool IoRangeAllocator::Release(Paddr base, uint64_t len) {
  PhysRange wanted{base, base + len};
  for (size_t i = 0; i < claim_count_; ++i) {
    if (claims_[i] == wanted) {
      claims_[i] = claims_[--claim_count_];
      return true;
    }
  }
  return false;
}

}  // namespace klib
