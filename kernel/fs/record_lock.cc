#include "kernel/fs/record_lock.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "ostd/sync.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

constexpr uint64_t kEof = ~uint64_t{0};

struct Entry {
  bool used = false;
  bool write = false;
  LockOwner owner;
  int32_t pid = 0;
  LockRange range;
  RefPtr<Inode> inode;
};

// A POSIX owner waiting in F_SETLKW, and the owner it waits for.
struct Waiter {
  bool used = false;
  uint64_t waiter = 0;
  uint64_t blocker = 0;
};

constexpr size_t kMaxLocks = 1024;
constexpr size_t kMaxWaiters = 64;

ostd::SpinLock g_lock;
std::array<Entry, kMaxLocks> g_locks ABSL_GUARDED_BY(g_lock);
std::array<Waiter, kMaxWaiters> g_waiters ABSL_GUARDED_BY(g_lock);
Waitable g_changed;

bool Overlap(LockRange a, LockRange b) { return a.start <= b.end && b.start <= a.end; }
// a ends just before b starts, or the other way round.
bool Adjacent(LockRange a, LockRange b) {
  return (a.end != kEof && a.end + 1 == b.start) || (b.end != kEof && b.end + 1 == a.start);
}

// The conflicting lock that starts first (what F_GETLK reports), or null.
const Entry* ConflictLocked(const Inode* inode, LockOwner owner, bool write, LockRange range)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  const Entry* first = nullptr;
  for (const Entry& e : g_locks) {
    if (e.used && e.inode.get() == inode && !(e.owner == owner) && Overlap(e.range, range) &&
        (write || e.write) && (first == nullptr || e.range.start < first->range.start)) {
      first = &e;
    }
  }
  return first;
}

// Would `me` waiting for `blocker` close a cycle of POSIX waiters?
bool DeadlockLocked(uint64_t me, LockOwner blocker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  if (blocker.ofd) return false;
  uint64_t at = blocker.id;
  for (size_t step = 0; step < kMaxWaiters; ++step) {
    if (at == me) return true;
    const Waiter* next = nullptr;
    for (const Waiter& w : g_waiters) {
      if (w.used && w.waiter == at) next = &w;
    }
    if (next == nullptr) return false;
    at = next->blocker;
  }
  return false;
}

size_t FreeSlotsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  size_t n = 0;
  for (const Entry& e : g_locks) n += e.used ? 0 : 1;
  return n;
}

void AddLocked(const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  for (Entry& slot : g_locks) {
    if (!slot.used) {
      slot = e;
      return;
    }
  }
}

// Replaces `owner`'s locks over `range` by `type` (the caller checked for
// conflicts and for 2 free slots).
void ApplyLocked(const RefPtr<Inode>& inode, LockOwner owner, int32_t pid, LockType type,
                 LockRange range) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  bool write = type == LockType::kWrite;
  LockRange merged = range;
  std::array<Entry, 2> pieces;
  size_t n = 0;
  for (Entry& e : g_locks) {
    if (!e.used || e.inode.get() != inode.get() || !(e.owner == owner)) continue;
    bool overlap = Overlap(e.range, range);
    if (type != LockType::kUnlock && e.write == write && (overlap || Adjacent(e.range, range))) {
      merged.start = std::min(merged.start, e.range.start);
      merged.end = std::max(merged.end, e.range.end);
      e = Entry{};
      continue;
    }
    if (!overlap) continue;
    if (e.range.start < range.start && n < pieces.size()) {
      pieces[n] = e;
      pieces[n++].range.end = range.start - 1;
    }
    if (e.range.end > range.end && n < pieces.size()) {
      pieces[n] = e;
      pieces[n++].range.start = range.end + 1;
    }
    e = Entry{};
  }
  for (size_t i = 0; i < n; ++i) AddLocked(pieces[i]);
  if (type != LockType::kUnlock) {
    AddLocked(Entry{
        .used = true, .write = write, .owner = owner, .pid = pid, .range = merged, .inode = inode});
  }
}

void SetWaitingLocked(uint64_t waiter, std::optional<uint64_t> blocker)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_lock) {
  for (Waiter& w : g_waiters) {
    if (w.used && w.waiter == waiter) w = Waiter{};
  }
  if (!blocker) return;
  for (Waiter& w : g_waiters) {
    if (!w.used) {
      w = Waiter{.used = true, .waiter = waiter, .blocker = *blocker};
      return;
    }
  }
}

}  // namespace

std::optional<LockInfo> TestRecordLock(const Inode& inode, LockOwner owner, LockType type,
                                       LockRange range) {
  ostd::SpinLockGuard g(g_lock);
  const Entry* c = ConflictLocked(&inode, owner, type == LockType::kWrite, range);
  if (c == nullptr) return std::nullopt;
  return LockInfo{.type = c->write ? LockType::kWrite : LockType::kRead,
                  .range = c->range,
                  .pid = c->owner.ofd ? -1 : c->pid};
}

ostd::Status SetRecordLock(const RefPtr<Inode>& inode, LockOwner owner, int32_t pid, LockType type,
                           LockRange range, bool wait, Caller& caller) {
  for (;;) {
    uint64_t seen = g_changed.version();
    {
      ostd::SpinLockGuard g(g_lock);
      const Entry* c = type == LockType::kUnlock
                           ? nullptr
                           : ConflictLocked(inode.get(), owner, type == LockType::kWrite, range);
      if (c == nullptr) {
        if (!owner.ofd) SetWaitingLocked(owner.id, std::nullopt);
        if (FreeSlotsLocked() < 2) return Err(Errno::kENOLCK);  // Linux: "no luck"
        ApplyLocked(inode, owner, pid, type, range);
        break;
      }
      if (!wait) return Err(Errno::kEAGAIN);
      if (!owner.ofd) {
        if (DeadlockLocked(owner.id, c->owner)) {
          SetWaitingLocked(owner.id, std::nullopt);
          return Err(Errno::kEDEADLK);
        }
        SetWaitingLocked(owner.id, c->owner.ofd ? std::nullopt : std::optional(c->owner.id));
      }
    }
    ostd::Status s = WaitForChange(g_changed, seen, caller);
    if (!s) {
      if (!owner.ofd) {
        ostd::SpinLockGuard g(g_lock);
        SetWaitingLocked(owner.id, std::nullopt);
      }
      return s;
    }
  }
  g_changed.Notify();
  return {};
}

void ReleaseRecordLocks(const Inode& inode, LockOwner owner) {
  bool any = false;
  {
    ostd::SpinLockGuard g(g_lock);
    for (Entry& e : g_locks) {
      if (e.used && e.owner == owner && e.inode.get() == &inode) {
        e = Entry{};
        any = true;
      }
    }
  }
  if (any) g_changed.Notify();
}

void ReleaseAllRecordLocks(LockOwner owner) {
  bool any = false;
  {
    ostd::SpinLockGuard g(g_lock);
    for (Entry& e : g_locks) {
      if (e.used && e.owner == owner) {
        e = Entry{};
        any = true;
      }
    }
    if (!owner.ofd) SetWaitingLocked(owner.id, std::nullopt);
  }
  if (any) g_changed.Notify();
}

}  // namespace kernel::fs
