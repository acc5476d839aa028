// A set of CPU ids (up to kMaxCpus), safe to update from several CPUs at once.
#ifndef OSTD_CPU_SET_H_
#define OSTD_CPU_SET_H_

#include <atomic>
#include <cstdint>

namespace ostd {

// The most CPUs ostd runs on; CPU ids are 0..kMaxCpus-1 (one bit each of a
// 64-bit mask).
inline constexpr uint32_t kMaxCpus = 64;

// Plain value type; see AtomicCpuSet for concurrent updates. Ids of kMaxCpus or
// more are outside every set: Add and Remove ignore them, Contains is false.
class CpuSet {
 public:
  constexpr CpuSet() = default;
  // The set whose members are the set bits of `bits` (bit i = CPU i).
  static constexpr CpuSet FromBits(uint64_t bits) {
    CpuSet s;
    s.bits_ = bits;
    return s;
  }
  // CPUs 0..count-1.
  static constexpr CpuSet FirstN(uint32_t count) {
    return FromBits(count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1);
  }
  // Makes `cpu` a member (no effect if it already is, or if cpu >= kMaxCpus).
  constexpr void Add(uint32_t cpu) { bits_ |= Bit(cpu); }
  // Removes `cpu` (no effect if it is not a member, or if cpu >= kMaxCpus).
  constexpr void Remove(uint32_t cpu) { bits_ &= ~Bit(cpu); }
  // True if `cpu` is a member; always false for cpu >= kMaxCpus.
  constexpr bool Contains(uint32_t cpu) const { return (bits_ & Bit(cpu)) != 0; }
  // True if the set has no members.
  constexpr bool empty() const { return bits_ == 0; }
  // The number of members.
  constexpr uint32_t count() const { return static_cast<uint32_t>(__builtin_popcountll(bits_)); }
  // The members as a mask, bit i = CPU i (the inverse of FromBits).
  constexpr uint64_t bits() const { return bits_; }
  friend constexpr bool operator==(CpuSet, CpuSet) = default;

  // Calls fn(cpu) for each member in increasing order.
  template <typename Fn>
  constexpr void ForEach(Fn fn) const {
    for (uint64_t b = bits_; b != 0; b &= b - 1) fn(static_cast<uint32_t>(__builtin_ctzll(b)));
  }

 private:
  static constexpr uint64_t Bit(uint32_t cpu) { return cpu < 64 ? uint64_t{1} << cpu : 0; }
  uint64_t bits_ = 0;
};

// A CpuSet that several CPUs may update and read at once, lock-free and from
// any context (IRQ handlers included). Starts empty. Each update is one atomic
// read-modify-write with acquire-release ordering; Load is an acquire load, so
// it sees a consistent snapshot that may be stale by the time it is used.
// As in CpuSet, ids of kMaxCpus or more are outside every set: Add and Remove
// ignore them (no memory is touched and no other CPU's bit changes).
class AtomicCpuSet {
 public:
  // Makes `cpu` a member (no effect if cpu >= kMaxCpus).
  void Add(uint32_t cpu) {
    if (cpu < kMaxCpus) bits_.fetch_or(uint64_t{1} << cpu, std::memory_order_acq_rel);
  }
  // Removes `cpu` (no effect if it is not a member, or if cpu >= kMaxCpus).
  void Remove(uint32_t cpu) {
    if (cpu < kMaxCpus) bits_.fetch_and(~(uint64_t{1} << cpu), std::memory_order_acq_rel);
  }
  // A snapshot of the members.
  CpuSet Load() const { return CpuSet::FromBits(bits_.load(std::memory_order_acquire)); }

 private:
  std::atomic<uint64_t> bits_{0};
};

}  // namespace ostd

#endif  // OSTD_CPU_SET_H_
