// The file-descriptor table: fd -> shared open file description + FD_CLOEXEC.
#ifndef KERNEL_FS_FD_TABLE_H_
#define KERNEL_FS_FD_TABLE_H_

#include <array>
#include <cstdint>
#include <span>

#include "absl/base/thread_annotations.h"

#include "kernel/fs/file.h"
#include "kernel/fs/ref.h"
#include "ostd/result.h"
#include "ostd/sync.h"

namespace kernel::fs {

inline constexpr int kMaxFds = 1024;  // RLIMIT_NOFILE; EMFILE beyond
inline constexpr uint32_t kFdCloexec = 1;

class FdTable : public RefCounted<FdTable> {
 public:
  FdTable() = default;
  // Drops the table's POSIX record locks (record_lock.h).
  ~FdTable();
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;
  // POSIX record locks belong to the table: its identity as a lock owner,
  // and a mark that it may hold some (so that closes release them).
  uint64_t lock_owner() const { return lock_owner_; }
  void set_holds_record_locks() { holds_record_locks_.store(true, std::memory_order_release); }
  // A new empty table; ENOMEM.
  static ostd::Result<RefPtr<FdTable>> Create();
  // A copy for fork (without CLONE_FILES): same open files, same flags.
  ostd::Result<RefPtr<FdTable>> Clone() const;

  // Installs `file` at the lowest free fd >= min_fd. EMFILE if none
  // (EINVAL if min_fd is out of range).
  ostd::Result<int> Install(RefPtr<File> file, bool cloexec, int min_fd = 0);
  // The file at `fd`; EBADF.
  //
  // `sole_user`: the caller is the only thread of the only process holding
  // the table (Process::SoleFilesUser()). Only such threads change a table,
  // so none can change it meanwhile and the lock is skipped (others that
  // hold a reference, /proc readers, only read). Linux's fdget skips its
  // reference count in the same case.
  ostd::Result<RefPtr<File>> Get(int fd, bool sole_user = false) const;
  // The files at `fds` (null where a descriptor is closed or out of range),
  // under one acquisition of the table lock: for callers that look up many
  // descriptors at once (epoll_wait; a sole user uses PeekSole instead).
  // out.size() >= fds.size().
  void GetMany(std::span<const int> fds, std::span<RefPtr<File>> out) const;
  // The file at `fd` without taking a reference, for a sole user (see Get)
  // only; nullptr if the descriptor is closed or out of range. It stays
  // valid until the caller itself next changes the table (close, dup2 over
  // it, execve), so use it at once and never keep it: epoll_wait's lookups
  // of the instance and of every interest, which change nothing.
  File* PeekSole(int fd) const {
    return fd >= 0 && fd < kMaxFds ? SlotFileUnlocked(fd).get() : nullptr;
  }
  // FD_CLOEXEC of `fd`; EBADF.
  ostd::Result<bool> GetCloexec(int fd) const;
  ostd::Status SetCloexec(int fd, bool cloexec);
  // Closes `fd` (the file is released outside the table lock). EBADF.
  ostd::Status Close(int fd);
  // dup: the lowest free fd, cloexec off.
  ostd::Result<int> Dup(int fd);
  // dup2/dup3 (dup3 rejects old == new with EINVAL; the caller checks that).
  // Replaces `newfd` atomically. EBADF for a bad oldfd or newfd out of range.
  ostd::Result<int> Dup3(int oldfd, int newfd, bool cloexec);
  // close_range(first, last, flags): kCloseRangeCloexec marks instead of
  // closing. kCloseRangeUnshare is accepted and means nothing here: the
  // syscall unshares the table (Process::UnshareFiles) before calling this.
  ostd::Status CloseRange(uint32_t first, uint32_t last, uint32_t flags);
  // execve: closes every FD_CLOEXEC descriptor.
  void CloseOnExec();
  // Number of open descriptors.
  int Count() const;
  // RLIMIT_NOFILE: new descriptors stay below `limit` (at most kMaxFds).
  void SetLimit(int limit) { limit_.store(limit < kMaxFds ? limit : kMaxFds); }
  int limit() const { return limit_.load(); }

  static constexpr uint32_t kCloseRangeUnshare = 2, kCloseRangeCloexec = 4;

 private:
  struct Slot {
    RefPtr<File> file;
    bool cloexec = false;
  };
  std::atomic<int> limit_{kMaxFds};
  mutable ostd::SpinLock lock_;
  // The file in slot `fd` (in range), read without the lock: for a sole user.
  const RefPtr<File>& SlotFileUnlocked(int fd) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return slots_[static_cast<size_t>(fd)].file;
  }
  // A closed descriptor's file: the table's POSIX locks on it go.
  void Closed(const RefPtr<File>& file);
  static uint64_t NextLockOwner();
  const uint64_t lock_owner_ = NextLockOwner();
  std::atomic<bool> holds_record_locks_{false};
  std::array<Slot, kMaxFds> slots_ ABSL_GUARDED_BY(lock_);
};

}  // namespace kernel::fs

#endif  // KERNEL_FS_FD_TABLE_H_
