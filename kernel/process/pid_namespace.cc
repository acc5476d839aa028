#include "kernel/process/pid_namespace.h"

#include <algorithm>
#include <utility>

#include "kernel/fs/memfd.h"
#include "kernel/fs/mount_namespace.h"
#include "ostd/panic.h"

namespace kernel {

using ostd::Err;
using ostd::Errno;

namespace {

constexpr uint32_t kRootInum = 0xeffffffc;  // Linux's PROC_PID_INIT_INO

}  // namespace

PidNamespace& PidNamespace::Root() {
  // This reference is never dropped: the root lives for the whole run.
  static ostd::RefPtr<PidNamespace> root = [] {
    ostd::Result<ostd::RefPtr<PidNamespace>> made =
        ostd::MakeRef<PidNamespace>(Key(), nullptr, 0, fs::kMemfdNoexecScopeExec, kRootInum);
    if (!made) OSTD_PANIC("out of memory for the root pid namespace");
    return *std::move(made);
  }();
  return *root;
}

ostd::Result<ostd::RefPtr<PidNamespace>> PidNamespace::CreateChild(PidNamespace& parent) {
  if (parent.level_ >= kMaxLevel) return Err(Errno::kENOSPC);
  return ostd::MakeRef<PidNamespace>(Key(), parent.RefFromThis(), parent.level_ + 1,
                                     parent.MemfdNoexecScope(), fs::AllocNamespaceInum());
}

int PidNamespace::MemfdNoexecScope() const {
  int scope = 0;
  for (const PidNamespace* ns = this; ns != nullptr; ns = ns->parent_.get()) {
    scope = std::max(scope, ns->memfd_noexec_.load(std::memory_order_relaxed));
  }
  return scope;
}

ostd::Status PidNamespace::SetMemfdNoexec(int value) {
  if (value < MemfdNoexecFloor() || value > fs::kMemfdNoexecScopeEnforced) {
    return Err(Errno::kEINVAL);
  }
  memfd_noexec_.store(value, std::memory_order_relaxed);
  return {};
}

ostd::Result<ostd::RefPtr<PidNumbers>> PidNumbers::Make(ostd::RefPtr<PidNamespace> ns,
                                                        std::span<const int> nrs) {
  int level = ns->level();
  if (nrs.size() != static_cast<size_t>(level) + 1) OSTD_PANIC("pid numbers for the wrong level");
  OSTD_TRY_ASSIGN(ostd::RefPtr<PidNumbers> made, ostd::MakeRef<PidNumbers>(Key(), std::move(ns)));
  for (size_t i = 0; i < nrs.size(); ++i) made->nrs_[i] = nrs[i];
  return made;
}

int PidNumbers::In(const PidNamespace& viewer) const {
  std::span<const int> nrs = From(viewer);
  return nrs.empty() ? 0 : nrs.front();
}

std::span<const int> PidNumbers::From(const PidNamespace& viewer) const {
  int level = ns_->level();
  if (viewer.level() > level) return {};
  const PidNamespace* n = ns_.get();
  for (int i = level; i > viewer.level(); --i) n = n->parent();
  if (n != &viewer) return {};
  return std::span<const int>(nrs_).subspan(viewer.level(), level - viewer.level() + 1);
}

}  // namespace kernel
