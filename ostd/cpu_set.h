// A set of CPU ids (up to kMaxCpus), safe to update from several CPUs at once.
#ifndef OSTD_CPU_SET_H_
#define OSTD_CPU_SET_H_

#include <atomic>
#include <cstdint>

namespace ostd {

inline constexpr uint32_t kMaxCpus = 64;

// Plain value type; see AtomicCpuSet for concurrent updates.
class CpuSet {
 public:
  constexpr CpuSet() = default;
  static constexpr CpuSet FromBits(uint64_t bits) {
    CpuSet s;
    s.bits_ = bits;
    return s;
  }
  // CPUs 0..count-1.
  static constexpr CpuSet FirstN(uint32_t count) {
    return FromBits(count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1);
  }
  constexpr void Add(uint32_t cpu) { bits_ |= Bit(cpu); }
  constexpr void Remove(uint32_t cpu) { bits_ &= ~Bit(cpu); }
  constexpr bool Contains(uint32_t cpu) const { return (bits_ & Bit(cpu)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint32_t count() const { return static_cast<uint32_t>(__builtin_popcountll(bits_)); }
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

class AtomicCpuSet {
 public:
  void Add(uint32_t cpu) { bits_.fetch_or(uint64_t{1} << cpu, std::memory_order_acq_rel); }
  void Remove(uint32_t cpu) { bits_.fetch_and(~(uint64_t{1} << cpu), std::memory_order_acq_rel); }
  CpuSet Load() const { return CpuSet::FromBits(bits_.load(std::memory_order_acquire)); }

 private:
  std::atomic<uint64_t> bits_{0};
};

}  // namespace ostd

#endif  // OSTD_CPU_SET_H_
