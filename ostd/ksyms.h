// Kernel symbol lookup: code address -> function name + offset.
//
// The table is built at link time (build/ksyms.py) into the .ksyms section. The
// panic handler uses it for symbolized backtraces. Lookups never fail hard: a
// malformed or empty table yields no symbol.
#ifndef OSTD_KSYMS_H_
#define OSTD_KSYMS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ostd {

// One result of SymbolTable::Lookup.
struct Symbol {
  // The symbol's name, pointing into the table's blob (valid while the blob
  // is); "?" if the entry's name lies outside the blob.
  std::string_view name;
  uint64_t address;  // start of the symbol
  uint64_t offset;   // queried address - start
  uint64_t size;     // the symbol's size from the link (0: unknown, e.g. an assembly label)
};

// A read-only view of a symbol table blob (a header, entries sorted by address,
// then the names). It does not copy or own the blob: the blob must outlive the
// table and every Symbol taken from it. Lookups only read, so one table may be
// used from any number of CPUs and from any context.
class SymbolTable {
 public:
  // Wraps a table blob in the format documented in build/ksyms.py (KSYMTAB2). An invalid
  // blob (too short, wrong magic, a count larger than the blob holds) gives an
  // empty table.
  explicit SymbolTable(std::span<const uint8_t> blob);

  // The symbol containing `addr`: the last one at or below it. nullopt if `addr`
  // is below the first symbol, or more than 64 KiB past the start of the symbol
  // found (there is no size per symbol). Entries out of address order give a
  // wrong symbol, never a bad access.
  std::optional<Symbol> Lookup(uint64_t addr) const;

  // The address of the symbol named exactly `name`. A plain number: nothing
  // public calls, patches or maps code at an address (TextPatcher is TCB-only,
  // ExecRegion runs nothing), so knowing it grants nothing.
  std::optional<uint64_t> Find(std::string_view name) const;

  // The symbol named exactly `name` (offset 0), with its size; the first one
  // in address order if several share the name. nullopt if none.
  std::optional<Symbol> FindSymbol(std::string_view name) const;

  // The i-th entry in address order (offset 0), for i < size(); nullopt
  // otherwise. For listing the table (e.g. the probe blacklist).
  std::optional<Symbol> At(uint64_t i) const;

  // The number of entries (0 for an invalid blob).
  uint64_t size() const { return count_; }

 private:
  struct Entry {
    uint64_t address;
    uint32_t name_offset;
    uint32_t name_length;
    uint64_t size;
  };
  Entry EntryAt(uint64_t i) const;
  std::string_view NameOf(const Entry& e) const;

  std::span<const uint8_t> blob_;
  uint64_t count_ = 0;
  std::span<const uint8_t> names_;
};

// The running kernel's own table (empty on the host).
const SymbolTable& KernelSymbols();

}  // namespace ostd

#endif  // OSTD_KSYMS_H_
