// Which 2 MiB units of RAM a TDX guest has not accepted yet (lazy acceptance
// of the firmware's EFI unaccepted memory, docs/tdx.md): one bit per unit,
// 1 = unaccepted. ostd's frame allocator marks the whole units of each
// unaccepted range at boot, accepts the unaligned head and tail at once, and
// before it hands out a frame accepts the frame's unit if its bit is still
// set, then clears the bit. Linux's unaccepted-memory bitmap uses the same
// unit.
//
// The storage belongs to the caller. `AnyPending` may run concurrently with
// `Clear` (atomic words: a clear published with release is seen with
// acquire); `Mark` and `Clear` are serialized by the owner. Pure logic:
// tested on the host.
#ifndef LIB_UNACCEPTED_UNITS_H_
#define LIB_UNACCEPTED_UNITS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace klib {

class UnacceptedUnits {
 public:
  static constexpr uint64_t kUnitSize = uint64_t{2} << 20;

  // Words needed to cover physical addresses below `top`.
  static constexpr size_t WordsFor(uint64_t top) {
    return static_cast<size_t>((top / kUnitSize + 1 + 63) / 64);
  }

  constexpr UnacceptedUnits() = default;
  // Takes `words` (all zero: nothing unaccepted); covers units below
  // words.size() * 64 * kUnitSize.
  void Init(std::span<std::atomic<uint64_t>> words);

  // What of a range Mark did not mark: the part before its first whole unit
  // and the part after its last (either may be empty), to accept at once.
  struct Edges {
    uint64_t head_base = 0, head_len = 0;
    uint64_t tail_base = 0, tail_len = 0;
  };
  // Marks the units lying wholly inside [base, base + len), as far as the
  // storage covers, and returns the rest: the unaligned head and tail, and
  // any part above the covered range (as the tail).
  Edges Mark(uint64_t base, uint64_t len);

  // True if a unit overlapping [base, base + len) is still unaccepted.
  bool AnyPending(uint64_t base, uint64_t len) const;
  // The base of the first unaccepted unit overlapping [base, base + len).
  std::optional<uint64_t> FirstPending(uint64_t base, uint64_t len) const;
  // Records that the unit at `unit_base` has been accepted.
  void Clear(uint64_t unit_base);

  // Units still unaccepted (0 on every machine that is not a TD).
  uint64_t pending() const { return pending_.load(std::memory_order_acquire); }

 private:
  std::span<std::atomic<uint64_t>> words_;
  std::atomic<uint64_t> pending_{0};
};

}  // namespace klib

#endif  // LIB_UNACCEPTED_UNITS_H_
