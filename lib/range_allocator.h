// The physical-address bookkeeping behind IoMem: which ranges may be acquired at
// all, which only by the framework, and which are held right now.
//
// Three sets of half-open physical ranges [base, end):
//   * the privileged set: everything below the physical-address limit that is
//     not RAM (callers Exclude RAM, the kernel image, ACPI NVS, ...);
//   * the insensitive set: the privileged set minus the ranges the framework
//     drives itself (AddSensitive: local APIC, IOAPIC, HPET);
//   * the claims: ranges currently held, byte-granular and pairwise disjoint.
// A Claim must lie inside the insensitive set (or, for a sensitive claim, the
// privileged set) and overlap no other claim.
//
// Fixed capacity, no heap; not thread-safe (the owner locks). Pure logic:
// built for the host (GoogleTest) and for the kernel.
#ifndef LIB_RANGE_ALLOCATOR_H_
#define LIB_RANGE_ALLOCATOR_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/addr.h"
#include "lib/result.h"

namespace klib {

// A half-open physical range [base, end). Empty when end <= base.
struct PhysRange {
  Paddr base = 0;
  Paddr end = 0;

  friend constexpr bool operator==(const PhysRange&, const PhysRange&) = default;
};

// A sorted set of disjoint, non-adjacent ranges with a fixed capacity.
class RangeSet {
 public:
  static constexpr size_t kCapacity = 128;

  // Makes the set exactly [base, end) (empty if end <= base).
  void Reset(Paddr base, Paddr end);
  // Removes [base, end) from the set. ENOSPC if splitting a range would need
  // more than kCapacity ranges; the set is then unchanged.
  Status Remove(Paddr base, Paddr end);
  // True if Remove(base, end) would not run out of capacity.
  bool CanRemove(Paddr base, Paddr end) const;
  // True if every byte of [base, end) is in the set (vacuously true if empty).
  bool Contains(Paddr base, Paddr end) const;

  size_t size() const { return count_; }
  const PhysRange& operator[](size_t i) const { return ranges_[i]; }

 private:
  std::array<PhysRange, kCapacity> ranges_{};
  size_t count_ = 0;
};

class IoRangeAllocator {
 public:
  static constexpr size_t kMaxClaims = 256;

  // Starts over: privileged = insensitive = [0, limit), no claims.
  void Reset(Paddr limit);
  // Removes [base, end) from both sets (RAM and the like). Callers round to
  // pages so that no acquirable page holds RAM. ENOSPC: too fragmented.
  Status Exclude(Paddr base, Paddr end);
  // Removes [base, end) from the insensitive set only. ENOSPC: too fragmented.
  Status AddSensitive(Paddr base, Paddr end);

  // Claims [base, base+len).
  //   EINVAL    len == 0
  //   EOVERFLOW base + len wraps past 2^64
  //   EACCES    some byte is outside the allowed set (insensitive, or
  //             privileged when `sensitive`)
  //   EBUSY     overlaps a current claim
  //   ENOSPC    kMaxClaims claims are held already
  Status Claim(Paddr base, uint64_t len, bool sensitive);
  // Releases the claim that is exactly [base, base+len). False (and no change)
  // if there is no such claim.
  bool Release(Paddr base, uint64_t len);

  // True if [base, base+len) could be claimed were nothing held (len > 0).
  bool IsAllowed(Paddr base, uint64_t len, bool sensitive) const;
  size_t claim_count() const { return claim_count_; }
  const RangeSet& insensitive() const { return insensitive_; }
  const RangeSet& privileged() const { return privileged_; }
  // Calls fn(base, end) for each maximal range that only sensitive claims may
  // take (privileged minus insensitive: the ranges AddSensitive named), in
  // ascending order.
  template <typename Fn>
  void ForEachSensitive(Fn&& fn) const {
    size_t j = 0;
    for (size_t i = 0; i < privileged_.size(); ++i) {
      Paddr cursor = privileged_[i].base;
      Paddr end = privileged_[i].end;
      for (; j < insensitive_.size() && insensitive_[j].base < end; ++j) {
        if (insensitive_[j].end <= cursor) continue;
        if (insensitive_[j].base > cursor) fn(cursor, insensitive_[j].base);
        cursor = insensitive_[j].end;
        if (cursor >= end) break;
      }
      if (cursor < end) fn(cursor, end);
    }
  }

 private:
  RangeSet privileged_;
  RangeSet insensitive_;
  std::array<PhysRange, kMaxClaims> claims_{};
  size_t claim_count_ = 0;
};

}  // namespace klib

#endif  // LIB_RANGE_ALLOCATOR_H_
