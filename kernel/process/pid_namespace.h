// Pid namespaces, as far as Keel implements them.
//
// clone(CLONE_NEWPID) and unshare(CLONE_NEWPID) make a child namespace, and
// processes record the namespace they run in and the one their children
// get (which setns(2) also changes), as Linux does. Every thread, process,
// process group and session has a number in its own namespace and in each
// one above it (PidNumbers), and every pid a system call takes or returns
// is the caller's view: the first process made in a namespace is its pid 1,
// and a process outside the caller's namespace has no number there (0, or
// ESRCH when named). Keel keeps the root namespace's number (the global
// id) for its own tables. Where Keel differs from Linux: /proc shows the
// reader's namespace (Linux: that of whoever mounted it; the same for the
// usual unshare-and-mount-proc); the console's foreground group
// (TIOCGPGRP/TIOCSPGRP) is a global id; and an id recorded for later (SysV
// IPC's last pids, socket credentials) reads as 0 outside the root
// namespace once its process is gone (Linux keeps the struct pid). The
// namespace's init adopts orphans there, and
// when it exits the others in the namespace (and below) are killed and no
// process may be made there again (ENOMEM). A namespace also scopes the
// vm.memfd_noexec sysctl, with Linux's rules: a new namespace starts with
// its parent's value, the effective value is the highest along the chain to
// the root, and a namespace cannot set a value below its parent's effective
// one.
#ifndef KERNEL_PROCESS_PID_NAMESPACE_H_
#define KERNEL_PROCESS_PID_NAMESPACE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
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

  // The number most recently given out here (/proc/loadavg's last field),
  // and the allocation cursor: the next number tried is the one after it.
  // Changed by the process code under its tree lock.
  int last_nr() const { return last_nr_.load(std::memory_order_relaxed); }
  void set_last_nr(int nr) { last_nr_.store(nr, std::memory_order_relaxed); }

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
  std::atomic<int> last_nr_{0};
};

// A pid as the namespaces that see it number it (Linux's struct pid, less
// its task lists): one number per level, from the root namespace (level 0:
// the global id Keel uses inside, for tables and locks) down to the
// namespace it was made in. A thread's id, its process's pid, and the ids
// of the group and session a process leads all share one object; it never
// changes once made.
class PidNumbers : public ostd::RefCounted<PidNumbers> {
 public:
  // `nrs[i]` is the number at level i, so nrs.size() == ns->level() + 1.
  // ENOMEM.
  static ostd::Result<ostd::RefPtr<PidNumbers>> Make(ostd::RefPtr<PidNamespace> ns,
                                                     std::span<const int> nrs);

  // For MakeRef only (the key is private to this class).
  class Key {
    friend class PidNumbers;
    Key() = default;
  };
  explicit PidNumbers(Key, ostd::RefPtr<PidNamespace> ns) : ns_(std::move(ns)) {}

  // The number in the root namespace.
  int global() const { return nrs_[0]; }
  // The namespace it was made in: the deepest that sees it.
  PidNamespace& ns() const { return *ns_; }
  int level() const { return ns_->level(); }
  // The number `viewer` sees; 0 if `viewer` does not see it (it is not
  // ns() or an ancestor of it), as Linux's pid_nr_ns.
  int In(const PidNamespace& viewer) const;
  // The numbers from `viewer`'s level down to ns()'s (/proc's NSpid line);
  // empty if `viewer` does not see it.
  std::span<const int> From(const PidNamespace& viewer) const;

 private:
  const ostd::RefPtr<PidNamespace> ns_;
  std::array<int, PidNamespace::kMaxLevel + 1> nrs_{};
};

}  // namespace kernel

#endif  // KERNEL_PROCESS_PID_NAMESPACE_H_
