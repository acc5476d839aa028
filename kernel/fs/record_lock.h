// fcntl record locks: byte-range advisory locks, read (shared) or write
// (exclusive). A POSIX lock (F_SETLK/F_SETLKW) belongs to a descriptor table
// (a process, as Linux's files_struct) and goes when that table closes any
// descriptor of the file; an OFD lock (F_OFD_SETLK/F_OFD_SETLKW) belongs to
// the open file description and goes with it. A new lock replaces the
// owner's locks in its range, splitting and merging them as Linux does.
// F_SETLKW waits (EINTR on a signal) and reports EDEADLK when POSIX
// owners would wait for each other in a cycle.
#ifndef KERNEL_FS_RECORD_LOCK_H_
#define KERNEL_FS_RECORD_LOCK_H_

#include <cstdint>
#include <optional>

#include "kernel/fs/inode.h"
#include "kernel/fs/ref.h"
#include "kernel/fs/wait.h"
#include "ostd/result.h"

namespace kernel::fs {

enum class LockType : uint8_t { kRead, kWrite, kUnlock };

// Who holds a lock: a descriptor table (POSIX) or a description (OFD).
struct LockOwner {
  uint64_t id = 0;
  bool ofd = false;
  bool operator==(const LockOwner&) const = default;
};

// Bytes [start, end], both included; end ~0: to the end of any file.
struct LockRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

// A lock as F_GETLK reports it (pid -1 for OFD locks).
struct LockInfo {
  LockType type = LockType::kUnlock;
  LockRange range;
  int32_t pid = 0;
};

// The first lock of another owner that conflicts with `type` over `range`.
std::optional<LockInfo> TestRecordLock(const Inode& inode, LockOwner owner, LockType type,
                                       LockRange range);
// Sets (or with kUnlock, removes) `owner`'s lock over `range`. EAGAIN on a
// conflict unless `wait`; EDEADLK, EINTR; ENOLCK when the table (1024
// locks) is full.
ostd::Status SetRecordLock(const RefPtr<Inode>& inode, LockOwner owner, int32_t pid, LockType type,
                           LockRange range, bool wait, Caller& caller);
// Drops `owner`'s locks on `inode` (a POSIX owner closed a descriptor).
void ReleaseRecordLocks(const Inode& inode, LockOwner owner);
// Drops all of `owner`'s locks (its table or description is gone).
void ReleaseAllRecordLocks(LockOwner owner);

}  // namespace kernel::fs

#endif  // KERNEL_FS_RECORD_LOCK_H_
