#include "kernel/tracing/linux_symbols.h"

#include <array>
#include <atomic>
#include <optional>

#include "kernel/syscalls/syscall_spec.h"
#include "ostd/fmt.h"

namespace kernel::tracing {
namespace {

constexpr std::array<LinuxAlias, 5> kAliases{{
    {"do_exit", "kernel::DoExit("},
    {"do_sys_openat2", "kernel::file_sys::DoSysOpenat2("},
    {"kernel_clone", "kernel::KernelClone("},
    {"vfs_read", "kernel::file_sys::VfsRead("},
    {"vfs_write", "kernel::file_sys::VfsWrite("},
}};

// The syscall adapters: "kernel::syscall_adapt::Adapter<NR, &handler>::Call(...)".
constexpr std::string_view kAdapterPrefix = "kernel::syscall_adapt::Adapter<";
constexpr std::string_view kSysPrefix = "__x64_sys_";

struct SyscallAlias {
  std::array<char, 48> name{};  // "__x64_sys_<name>"
  size_t len = 0;
  std::optional<ostd::Symbol> fn;
  std::string_view view() const { return std::string_view(std::span<const char>(name).first(len)); }
};

// An alias by address, for LinuxNameAt (sorted by address once resolved).
struct ByAddress {
  uint64_t address = 0;
  std::string_view name;
};

std::array<std::optional<ostd::Symbol>, kAliases.size()> resolved;
std::array<SyscallAlias, kSyscallSpecCount> syscalls;
std::array<ByAddress, kAliases.size() + kSyscallSpecCount> by_address;
size_t by_address_count = 0;
std::atomic<bool> ready{false};

// The number in "Adapter<NR, ...", if `name` is an adapter.
std::optional<size_t> AdapterNumber(std::string_view name) {
  if (!name.starts_with(kAdapterPrefix)) return std::nullopt;
  size_t nr = 0;
  size_t i = kAdapterPrefix.size();
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) {
    nr = nr * 10 + static_cast<size_t>(name[i] - '0');
  }
  if (i == kAdapterPrefix.size() || i >= name.size() || name[i] != ',') return std::nullopt;
  if (nr >= kSyscallSpecCount) return std::nullopt;
  return nr;
}

void AddByAddress(uint64_t address, std::string_view name) {
  // Insertion sort: a few hundred entries, once at boot.
  size_t i = by_address_count++;
  while (i > 0 && by_address[i - 1].address > address) {
    by_address[i] = by_address[i - 1];
    --i;
  }
  by_address[i] = ByAddress{address, name};
}

}  // namespace

void InitLinuxSymbols() {
  if (ready.load(std::memory_order_acquire)) return;
  const ostd::SymbolTable& table = ostd::KernelSymbols();
  for (uint64_t i = 0; i < table.size(); ++i) {
    std::optional<ostd::Symbol> s = table.At(i);
    if (!s) continue;
    for (size_t a = 0; a < kAliases.size(); ++a) {
      if (!resolved[a] && s->name.starts_with(kAliases[a].keel_prefix)) resolved[a] = s;
    }
    if (std::optional<size_t> nr = AdapterNumber(s->name)) {
      if (!syscalls[*nr].fn && !kSyscallSpecs[*nr].name.empty()) syscalls[*nr].fn = s;
    }
  }
  for (size_t a = 0; a < kAliases.size(); ++a) {
    if (resolved[a]) AddByAddress(resolved[a]->address, kAliases[a].linux_name);
  }
  for (size_t nr = 0; nr < kSyscallSpecCount; ++nr) {
    SyscallAlias& sa = syscalls[nr];
    if (!sa.fn) continue;
    ostd::BufferSink name(sa.name);
    ostd::FormatTo(name, "{}{}", kSysPrefix, kSyscallSpecs[nr].name);
    sa.len = name.view().size();
    AddByAddress(sa.fn->address, sa.view());
  }
  ready.store(true, std::memory_order_release);
}

std::optional<ostd::Symbol> FindKernelFunction(std::string_view name) {
  if (ready.load(std::memory_order_acquire)) {
    for (size_t a = 0; a < kAliases.size(); ++a) {
      if (kAliases[a].linux_name == name) return resolved[a];
    }
    if (name.starts_with(kSysPrefix)) {
      for (const SyscallAlias& sa : syscalls) {
        if (sa.fn && sa.view() == name) return sa.fn;
      }
    }
  }
  return ostd::KernelSymbols().FindSymbol(name);
}

std::string_view LinuxNameAt(uint64_t address) {
  if (!ready.load(std::memory_order_acquire)) return {};
  size_t lo = 0, hi = by_address_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (by_address[mid].address < address) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < by_address_count && by_address[lo].address == address) return by_address[lo].name;
  return {};
}

bool LinuxAliasAt(size_t i, LinuxAlias& alias, std::optional<ostd::Symbol>& target) {
  if (i >= kAliases.size()) return false;
  alias = kAliases[i];
  target = ready.load(std::memory_order_acquire) ? resolved[i] : std::nullopt;
  return true;
}

}  // namespace kernel::tracing
