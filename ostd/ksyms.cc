#include "ostd/ksyms.h"

#include <cstring>

namespace ostd {
namespace {

constexpr uint64_t kHeaderSize = 16;
constexpr uint64_t kEntrySize = 24;
constexpr uint64_t kMaxOffset = 64 * 1024;

uint64_t LoadU64(std::span<const uint8_t> b, uint64_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[off + static_cast<uint64_t>(i)];
  return v;
}

uint32_t LoadU32(std::span<const uint8_t> b, uint64_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[off + static_cast<uint64_t>(i)];
  return v;
}

constexpr uint64_t MagicValue() {
  const char m[] = "KSYMTAB2";
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(m[i]);
  return v;
}

}  // namespace

SymbolTable::SymbolTable(std::span<const uint8_t> blob) {
  if (blob.size() < kHeaderSize || LoadU64(blob, 0) != MagicValue()) return;
  uint64_t count = LoadU64(blob, 8);
  if (count > (blob.size() - kHeaderSize) / kEntrySize) return;
  blob_ = blob;
  count_ = count;
  names_ = blob.subspan(kHeaderSize + count * kEntrySize);
}

SymbolTable::Entry SymbolTable::EntryAt(uint64_t i) const {
  uint64_t off = kHeaderSize + i * kEntrySize;
  return Entry{LoadU64(blob_, off), LoadU32(blob_, off + 8), LoadU32(blob_, off + 12),
               LoadU64(blob_, off + 16)};
}

std::string_view SymbolTable::NameOf(const Entry& e) const {
  if (e.name_offset > names_.size() || e.name_length > names_.size() - e.name_offset) return "?";
  std::span<const uint8_t> s = names_.subspan(e.name_offset, e.name_length);
  std::string_view out;
  // SAFETY: `s` lies inside the table blob; char and uint8_t may alias.
  out = std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
  return out;
}

std::optional<Symbol> SymbolTable::Lookup(uint64_t addr) const {
  if (count_ == 0 || addr < EntryAt(0).address) return std::nullopt;
  uint64_t lo = 0, hi = count_;  // invariant: entry[lo].address <= addr
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (EntryAt(mid).address <= addr) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  Entry e = EntryAt(lo);
  if (addr - e.address > kMaxOffset) return std::nullopt;
  return Symbol{NameOf(e), e.address, addr - e.address, e.size};
}

std::optional<uint64_t> SymbolTable::Find(std::string_view name) const {
  for (uint64_t i = 0; i < count_; ++i) {
    Entry e = EntryAt(i);
    if (NameOf(e) == name) return e.address;
  }
  return std::nullopt;
}

std::optional<Symbol> SymbolTable::FindSymbol(std::string_view name) const {
  for (uint64_t i = 0; i < count_; ++i) {
    Entry e = EntryAt(i);
    if (NameOf(e) == name) return Symbol{NameOf(e), e.address, 0, e.size};
  }
  return std::nullopt;
}

std::optional<Symbol> SymbolTable::At(uint64_t i) const {
  if (i >= count_) return std::nullopt;
  Entry e = EntryAt(i);
  return Symbol{NameOf(e), e.address, 0, e.size};
}

}  // namespace ostd
