#include "kernel/fs/flock.h"

#include <array>
#include <cstdint>

#include "kernel/fs/wait.h"
#include "ostd/sync.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

struct Entry {
  bool used = false;
  bool exclusive = false;
  uint64_t owner = 0;
  RefPtr<Inode> inode;  // kept while locked
};

constexpr size_t kMaxFlocks = 512;

ostd::SpinLock g_lock;
std::array<Entry, kMaxFlocks> g_entries ABSL_GUARDED_BY(g_lock);
Waitable g_changed;  // any lock dropped

Entry* FindLocked(const Inode* inode, uint64_t owner) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  for (Entry& e : g_entries) {
    if (e.used && e.owner == owner && e.inode.get() == inode) return &e;
  }
  return nullptr;
}

bool ConflictsLocked(const Inode* inode, uint64_t owner, bool exclusive)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  for (const Entry& e : g_entries) {
    if (e.used && e.owner != owner && e.inode.get() == inode && (exclusive || e.exclusive)) {
      return true;
    }
  }
  return false;
}

}  // namespace

ostd::Status Flock(File& file, FlockOp op, bool nonblocking, Caller& caller) {
  const RefPtr<Inode>& inode = file.inode_ref();
  // Keel's anonymous files (pipe2's pipes) have no inode another open() could
  // reach: only their other end could conflict, which Keel does not track.
  if (!inode) return {};
  uint64_t owner = file.lock_owner();
  bool exclusive = op == FlockOp::kExclusive;
  RefPtr<Inode> dropped;  // released outside the lock
  {
    ostd::SpinLockGuard g(g_lock);
    Entry* mine = FindLocked(inode.get(), owner);
    if (mine != nullptr) {
      if (op != FlockOp::kUnlock && mine->exclusive == exclusive) return {};
      // Unlock, or a conversion: the old lock goes first (as on Linux).
      dropped = std::move(mine->inode);
      *mine = Entry{};
    }
  }
  if (dropped) g_changed.Notify();
  if (op == FlockOp::kUnlock) return {};
  for (;;) {
    uint64_t seen = g_changed.version();
    {
      ostd::SpinLockGuard g(g_lock);
      if (!ConflictsLocked(inode.get(), owner, exclusive)) {
        for (Entry& e : g_entries) {
          if (!e.used) {
            e = Entry{.used = true, .exclusive = exclusive, .owner = owner, .inode = inode};
            file.set_holds_locks();
            return {};
          }
        }
        return Err(Errno::kENOMEM);
      }
    }
    if (nonblocking) return Err(Errno::kEAGAIN);
    OSTD_TRY(WaitForChange(g_changed, seen, caller));
  }
}

void ReleaseFlocks(uint64_t owner) {
  // Inode references are dropped after the lock (a last reference may free).
  std::array<RefPtr<Inode>, 8> dropped;
  bool any = false;
  for (;;) {
    size_t n = 0;
    {
      ostd::SpinLockGuard g(g_lock);
      for (Entry& e : g_entries) {
        if (e.used && e.owner == owner && n < dropped.size()) {
          dropped[n++] = std::move(e.inode);
          e = Entry{};
        }
      }
    }
    for (size_t i = 0; i < n; ++i) dropped[i] = RefPtr<Inode>();
    any = any || n > 0;
    if (n < dropped.size()) break;
  }
  if (any) g_changed.Notify();
}

}  // namespace kernel::fs
