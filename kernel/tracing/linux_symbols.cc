#include "kernel/tracing/linux_symbols.h"

#include <array>
#include <atomic>

namespace kernel::tracing {
namespace {

constexpr std::array<LinuxAlias, 5> kAliases{{
    {"do_exit", "kernel::DoExit("},
    {"do_sys_openat2", "kernel::file_sys::DoSysOpenat2("},
    {"kernel_clone", "kernel::KernelClone("},
    {"vfs_read", "kernel::file_sys::VfsRead("},
    {"vfs_write", "kernel::file_sys::VfsWrite("},
}};

std::array<std::optional<ostd::Symbol>, kAliases.size()> resolved;
std::atomic<bool> ready{false};

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
  }
  ready.store(true, std::memory_order_release);
}

std::optional<ostd::Symbol> FindKernelFunction(std::string_view name) {
  if (ready.load(std::memory_order_acquire)) {
    for (size_t a = 0; a < kAliases.size(); ++a) {
      if (kAliases[a].linux_name == name) return resolved[a];
    }
  }
  return ostd::KernelSymbols().FindSymbol(name);
}

std::string_view LinuxNameAt(uint64_t address) {
  if (!ready.load(std::memory_order_acquire)) return {};
  for (size_t a = 0; a < kAliases.size(); ++a) {
    if (resolved[a] && resolved[a]->address == address) return kAliases[a].linux_name;
  }
  return {};
}

bool LinuxAliasAt(size_t i, LinuxAlias& alias, std::optional<ostd::Symbol>& target) {
  if (i >= kAliases.size()) return false;
  alias = kAliases[i];
  target = ready.load(std::memory_order_acquire) ? resolved[i] : std::nullopt;
  return true;
}

}  // namespace kernel::tracing
