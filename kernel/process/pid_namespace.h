// Pid namespaces, as far as Keel implements them.
//
// clone(CLONE_NEWPID) and unshare(CLONE_NEWPID) make a child namespace, and
// processes record the namespace they run in and the one their children
// get, as Linux does. Keel does not renumber processes per namespace:
// getpid() and every pid a namespace member sees are the global ones. What
// a namespace scopes is the vm.memfd_noexec sysctl, with Linux's rules: a
// new namespace starts with its parent's value, the effective value is the
// highest along the chain to the root, and a namespace cannot set a value
// below its parent's effective one.
#ifndef KERNEL_PROCESS_PID_NAMESPACE_H_
#define KERNEL_PROCESS_PID_NAMESPACE_H_

#include <atomic>
#include <cstdint>

#include "ostd/result.h"

namespace kernel {

class PidNamespace {
 public:
  // Linux's MAX_PID_NS_LEVEL: the deepest namespace is this many below the root.
  static constexpr int kMaxLevel = 32;

  // The initial namespace (never freed).
  static PidNamespace& Root();
  // A new namespace below `parent` with its memfd_noexec value. ENOSPC past
  // kMaxLevel, ENOMEM. The caller owns the returned reference.
  static ostd::Result<PidNamespace*> CreateChild(PidNamespace& parent);

  PidNamespace(const PidNamespace&) = delete;
  PidNamespace& operator=(const PidNamespace&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref();

  PidNamespace* parent() const { return parent_; }
  int level() const { return level_; }
  // The namespace's inode number, as /proc/<pid>/ns/pid shows it
  // ("pid:[4026531836]" for the root, as on Linux).
  uint32_t inum() const { return inum_; }

  // The vm.memfd_noexec value in force here (memfd_create and reads).
  int MemfdNoexecScope() const;
  // The lowest value this namespace may set: its parent's effective one
  // (0 for the root).
  int MemfdNoexecFloor() const { return parent_ == nullptr ? 0 : parent_->MemfdNoexecScope(); }
  // Sets this namespace's value. EINVAL outside [MemfdNoexecFloor(), 2].
  ostd::Status SetMemfdNoexec(int value);

 private:
  PidNamespace(PidNamespace* parent, int level, int scope, uint32_t inum)
      : parent_(parent), level_(level), inum_(inum), memfd_noexec_(scope) {}
  ~PidNamespace();

  PidNamespace* const parent_;  // holds a reference (null for the root)
  const int level_;
  const uint32_t inum_;
  std::atomic<int> memfd_noexec_;
  std::atomic<uint32_t> refs_{1};
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_PID_NAMESPACE_H_
