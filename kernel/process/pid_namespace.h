// Pid namespaces, as far as Keel implements them.
//
// clone(CLONE_NEWPID) and unshare(CLONE_NEWPID) make a child namespace, and
// processes record the namespace they run in and the one their children
// get (which setns(2) also changes), as Linux does. The first process made
// in a namespace is its init: orphans there are given to it, and when it
// exits the others in the namespace (and below) are killed and no process
// may be made there again (ENOMEM). Keel does not renumber processes per
// namespace: getpid() and every pid a namespace member sees are the global
// ones. What
// a namespace scopes is the vm.memfd_noexec sysctl, with Linux's rules: a
// new namespace starts with its parent's value, the effective value is the
// highest along the chain to the root, and a namespace cannot set a value
// below its parent's effective one.
#ifndef KERNEL_PROCESS_PID_NAMESPACE_H_
#define KERNEL_PROCESS_PID_NAMESPACE_H_

#include <atomic>
#include <cstdint>
#include <utility>

#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"

namespace kernel {

class PidNamespace : public ostd::RefCounted<PidNamespace> {
 public:
  // Linux's MAX_PID_NS_LEVEL: the deepest namespace is this many below the root.
  static constexpr int kMaxLevel = 32;

  // The initial namespace (never freed: made at first use, panics if the
  // heap is out at boot).
  static PidNamespace& Root();
  static ostd::RefPtr<PidNamespace> RootRef() { return Root().RefFromThis(); }
  // A new namespace below `parent` with its memfd_noexec value. ENOSPC past
  // kMaxLevel, ENOMEM.
  static ostd::Result<ostd::RefPtr<PidNamespace>> CreateChild(PidNamespace& parent);

  // For MakeRef only (the key is private to this class).
  class Key {
    friend class PidNamespace;
    Key() = default;
  };
  PidNamespace(Key, ostd::RefPtr<PidNamespace> parent, int level, int scope, uint32_t inum)
      : parent_(std::move(parent)),
        level_(level),
        inum_(inum),
        memfd_noexec_(scope),
        has_init_(parent_ == nullptr) {}

  PidNamespace* parent() const { return parent_.get(); }
  int level() const { return level_; }
  // The namespace's inode number, as /proc/<pid>/ns/pid shows it
  // ("pid:[4026531836]" for the root, as on Linux).
  uint32_t inum() const { return inum_; }

  // Whether a process has been made in the namespace (Linux has set its
  // child_reaper): until then /proc/<pid>/ns/pid_for_children does not
  // name it (ENOENT). The root has init from the start.
  bool has_init() const { return has_init_.load(std::memory_order_acquire); }
  // Records a process made in the namespace (clone); true for the first,
  // which is the namespace's init.
  bool MarkHasInit() { return !has_init_.exchange(true, std::memory_order_acq_rel); }
  // Whether the namespace's init has exited: no process may be made in it
  // any more (Linux clears PIDNS_ADDING; fork is ENOMEM) and the others in
  // it were killed.
  bool dead() const { return dead_.load(std::memory_order_acquire); }
  void MarkDead() { dead_.store(true, std::memory_order_release); }
  // True if `other` is this namespace or below it.
  bool Contains(const PidNamespace& other) const {
    for (const PidNamespace* n = &other; n != nullptr; n = n->parent()) {
      if (n == this) return true;
    }
    return false;
  }

  // The vm.memfd_noexec value in force here (memfd_create and reads).
  int MemfdNoexecScope() const;
  // The lowest value this namespace may set: its parent's effective one
  // (0 for the root).
  int MemfdNoexecFloor() const { return parent_ == nullptr ? 0 : parent_->MemfdNoexecScope(); }
  // Sets this namespace's value. EINVAL outside [MemfdNoexecFloor(), 2].
  ostd::Status SetMemfdNoexec(int value);

 private:
  const ostd::RefPtr<PidNamespace> parent_;  // null for the root
  const int level_;
  const uint32_t inum_;
  std::atomic<int> memfd_noexec_;
  std::atomic<bool> has_init_;
  std::atomic<bool> dead_{false};
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_PID_NAMESPACE_H_
