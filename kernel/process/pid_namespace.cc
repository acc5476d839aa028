#include "kernel/process/pid_namespace.h"

#include <algorithm>
#include <new>

#include "kernel/fs/memfd.h"

namespace kernel {

using ostd::Err;
using ostd::Errno;

namespace {

constexpr uint32_t kRootInum = 0xeffffffc;  // Linux's PROC_PID_INIT_INO
std::atomic<uint32_t> next_inum{0xf0000000};

}  // namespace

PidNamespace& PidNamespace::Root() {
  static PidNamespace root(nullptr, 0, fs::kMemfdNoexecScopeExec, kRootInum);
  return root;
}

ostd::Result<PidNamespace*> PidNamespace::CreateChild(PidNamespace& parent) {
  if (parent.level_ >= kMaxLevel) return Err(Errno::kENOSPC);
  auto* ns = new (std::nothrow) PidNamespace(&parent, parent.level_ + 1, parent.MemfdNoexecScope(),
                                             next_inum.fetch_add(1, std::memory_order_relaxed));
  if (ns == nullptr) return Err(Errno::kENOMEM);
  parent.Ref();
  return ns;
}

PidNamespace::~PidNamespace() {
  if (parent_ != nullptr) parent_->Unref();
}

void PidNamespace::Unref() {
  if (this == &Root()) return;
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

int PidNamespace::MemfdNoexecScope() const {
  int scope = 0;
  for (const PidNamespace* ns = this; ns != nullptr; ns = ns->parent_) {
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

}  // namespace kernel
