// flock(2) locks: whole-file advisory locks owned by an open file
// description (every descriptor dup'ed or inherited from one open() shares
// them), shared or exclusive, held until unlocked or until the description
// is gone. Converting a lock first drops the old one, as Linux does.
#ifndef KERNEL_FS_FLOCK_H_
#define KERNEL_FS_FLOCK_H_

#include <cstdint>

#include "kernel/fs/file.h"
#include "ostd/result.h"

namespace kernel::fs {

enum class FlockOp : uint8_t { kShared, kExclusive, kUnlock };

// Takes, converts or drops `file`'s lock on its inode. With `nonblocking`,
// EWOULDBLOCK (EAGAIN) on a conflict; otherwise waits (EINTR on a signal).
// ENOMEM when the lock table (512 locks) is full (Linux 6.1: ENOMEM when
// flock_make_lock cannot allocate; fcntl locks get ENOLCK). Files without an inode
// (anonymous pipes) are always granted and not tracked.
ostd::Status Flock(File& file, FlockOp op, bool nonblocking, Caller& caller);

// Drops every flock lock of the open file description `owner` (File's
// destructor).
void ReleaseFlocks(uint64_t owner);

}  // namespace kernel::fs

#endif  // KERNEL_FS_FLOCK_H_
