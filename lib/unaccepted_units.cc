#include "lib/unaccepted_units.h"

namespace klib {
namespace {

constexpr uint64_t kUnit = UnacceptedUnits::kUnitSize;

}  // namespace

void UnacceptedUnits::Init(std::span<std::atomic<uint64_t>> words) {
  words_ = words;
  pending_.store(0, std::memory_order_relaxed);
}

UnacceptedUnits::Edges UnacceptedUnits::Mark(uint64_t base, uint64_t len) {
  Edges e;
  if (len == 0) return e;
  uint64_t end = base + len < base ? UINT64_MAX : base + len;
  uint64_t covered = static_cast<uint64_t>(words_.size()) * 64 * kUnit;
  uint64_t first = (base + kUnit - 1) / kUnit * kUnit;  // first whole unit
  if (first < base) first = end;                        // wrapped
  uint64_t last = end / kUnit * kUnit;                  // end of the last whole unit
  if (last > covered) last = covered;
  if (first >= last) {  // no whole unit inside: everything is an edge
    e.head_base = base;
    e.head_len = end - base;
    return e;
  }
  e.head_base = base;
  e.head_len = first - base;
  e.tail_base = last;
  e.tail_len = end - last;
  for (uint64_t unit = first; unit < last; unit += kUnit) {
    uint64_t index = unit / kUnit;
    uint64_t bit = uint64_t{1} << (index % 64);
    uint64_t old = words_[index / 64].fetch_or(bit, std::memory_order_release);
    if ((old & bit) == 0) pending_.fetch_add(1, std::memory_order_release);
  }
  return e;
}

std::optional<uint64_t> UnacceptedUnits::FirstPending(uint64_t base, uint64_t len) const {
  if (len == 0 || pending() == 0) return std::nullopt;
  uint64_t end = base + len < base ? UINT64_MAX : base + len;
  uint64_t limit = static_cast<uint64_t>(words_.size()) * 64;
  for (uint64_t index = base / kUnit; index < limit && index * kUnit < end; ++index) {
    uint64_t word = words_[index / 64].load(std::memory_order_acquire);
    if (word == 0) {
      index |= 63;  // the rest of this word is clear too
      continue;
    }
    if ((word >> (index % 64)) & 1) return index * kUnit;
  }
  return std::nullopt;
}

bool UnacceptedUnits::AnyPending(uint64_t base, uint64_t len) const {
  return FirstPending(base, len).has_value();
}

void UnacceptedUnits::Clear(uint64_t unit_base) {
  uint64_t index = unit_base / kUnit;
  if (index / 64 >= words_.size()) return;
  uint64_t bit = uint64_t{1} << (index % 64);
  uint64_t old = words_[index / 64].fetch_and(~bit, std::memory_order_release);
  if ((old & bit) != 0) pending_.fetch_sub(1, std::memory_order_release);
}

}  // namespace klib
