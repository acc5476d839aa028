#include "kernel/fs/fd_table.h"

#include "kernel/fs/record_lock.h"
#include "kernel/fs/vfs.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

// Files are dropped only after the spin lock is released: the last reference
// may run a file's destructor (a pipe end waking readers), which may block.

ostd::Result<RefPtr<FdTable>> FdTable::Create() {
  OSTD_TRY_ASSIGN(RefPtr<FdTable> t, MakeRef<FdTable>());
  return t;
}

ostd::Result<RefPtr<FdTable>> FdTable::Clone() const {
  OSTD_TRY_ASSIGN(RefPtr<FdTable> t, Create());
  ostd::SpinLockGuard g(lock_);
  ostd::SpinLockGuard g2(t->lock_);
  t->slots_ = slots_;
  t->limit_.store(limit_.load());
  return t;
}

ostd::Result<int> FdTable::Install(RefPtr<File> file, bool cloexec, int min_fd) {
  if (min_fd < 0) return Err(Errno::kEINVAL);
  int limit = limit_.load();
  if (min_fd >= limit) return Err(Errno::kEMFILE);
  ostd::SpinLockGuard g(lock_);
  for (int fd = min_fd; fd < limit; ++fd) {
    Slot& s = slots_[static_cast<size_t>(fd)];
    if (!s.file) {
      s.file = std::move(file);
      s.cloexec = cloexec;
      return fd;
    }
  }
  return Err(Errno::kEMFILE);
}

ostd::Result<RefPtr<File>> FdTable::Get(int fd, bool sole_user) const {
  if (fd < 0 || fd >= kMaxFds) return Err(Errno::kEBADF);
  if (sole_user) {
    const RefPtr<File>& f = SlotFileUnlocked(fd);
    if (!f) return Err(Errno::kEBADF);
    return f;
  }
  ostd::SpinLockGuard g(lock_);
  const Slot& s = slots_[static_cast<size_t>(fd)];
  if (!s.file) return Err(Errno::kEBADF);
  return s.file;
}

void FdTable::GetMany(std::span<const int> fds, std::span<RefPtr<File>> out) const {
  ostd::SpinLockGuard g(lock_);
  for (size_t i = 0; i < fds.size(); ++i) {
    int fd = fds[i];
    out[i] = fd >= 0 && fd < kMaxFds ? slots_[static_cast<size_t>(fd)].file : RefPtr<File>();
  }
}

ostd::Result<bool> FdTable::GetCloexec(int fd) const {
  if (fd < 0 || fd >= kMaxFds) return Err(Errno::kEBADF);
  ostd::SpinLockGuard g(lock_);
  const Slot& s = slots_[static_cast<size_t>(fd)];
  if (!s.file) return Err(Errno::kEBADF);
  return s.cloexec;
}

ostd::Status FdTable::SetCloexec(int fd, bool cloexec) {
  if (fd < 0 || fd >= kMaxFds) return Err(Errno::kEBADF);
  ostd::SpinLockGuard g(lock_);
  Slot& s = slots_[static_cast<size_t>(fd)];
  if (!s.file) return Err(Errno::kEBADF);
  s.cloexec = cloexec;
  return {};
}

FdTable::~FdTable() {
  if (holds_record_locks_.load(std::memory_order_acquire)) {
    ReleaseAllRecordLocks(LockOwner{.id = lock_owner_, .ofd = false});
  }
}

uint64_t FdTable::NextLockOwner() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void FdTable::Closed(const RefPtr<File>& file) {
  if (!file || file->inode() == nullptr) return;
  if (!holds_record_locks_.load(std::memory_order_acquire)) return;
  ReleaseRecordLocks(*file->inode(), LockOwner{.id = lock_owner_, .ofd = false});
}

ostd::Status FdTable::Close(int fd) {
  if (fd < 0 || fd >= kMaxFds) return Err(Errno::kEBADF);
  RefPtr<File> victim;
  {
    ostd::SpinLockGuard g(lock_);
    Slot& s = slots_[static_cast<size_t>(fd)];
    if (!s.file) return Err(Errno::kEBADF);
    victim = std::move(s.file);
    s.file = nullptr;
    s.cloexec = false;
  }
  Closed(victim);
  return {};
}

ostd::Result<int> FdTable::Dup(int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, Get(fd));
  return Install(std::move(f), false, 0);
}

ostd::Result<int> FdTable::Dup3(int oldfd, int newfd, bool cloexec) {
  if (newfd < 0 || newfd >= limit_.load()) return Err(Errno::kEBADF);
  OSTD_TRY_ASSIGN(RefPtr<File> f, Get(oldfd));
  RefPtr<File> victim;
  {
    ostd::SpinLockGuard g(lock_);
    Slot& s = slots_[static_cast<size_t>(newfd)];
    victim = std::move(s.file);
    s.file = std::move(f);
    s.cloexec = cloexec;
  }
  Closed(victim);
  return newfd;
}

ostd::Status FdTable::CloseRange(uint32_t first, uint32_t last, uint32_t flags) {
  if ((flags & ~(kCloseRangeUnshare | kCloseRangeCloexec)) != 0 || first > last) {
    return Err(Errno::kEINVAL);
  }
  // Drop files in batches so none is released under the spin lock.
  constexpr size_t kBatch = 32;
  uint64_t fd = first;
  while (fd <= last && fd < static_cast<uint64_t>(kMaxFds)) {
    std::array<RefPtr<File>, kBatch> victims;
    size_t n = 0;
    {
      ostd::SpinLockGuard g(lock_);
      for (; fd <= last && fd < static_cast<uint64_t>(kMaxFds) && n < kBatch; ++fd) {
        Slot& s = slots_[fd];
        if (!s.file) continue;
        if ((flags & kCloseRangeCloexec) != 0) {
          s.cloexec = true;
        } else {
          victims[n++] = std::move(s.file);
          s.file = nullptr;
          s.cloexec = false;
        }
      }
    }
    // `victims` are released here, after the guard.
    for (size_t i = 0; i < n; ++i) Closed(victims[i]);
  }
  return {};
}

void FdTable::CloseOnExec() {
  for (int fd = 0; fd < kMaxFds; ++fd) {
    RefPtr<File> victim;
    {
      ostd::SpinLockGuard g(lock_);
      Slot& s = slots_[static_cast<size_t>(fd)];
      if (s.file && s.cloexec) {
        victim = std::move(s.file);
        s.file = nullptr;
        s.cloexec = false;
      }
    }
    Closed(victim);
  }
}

int FdTable::Count() const {
  ostd::SpinLockGuard g(lock_);
  int n = 0;
  for (const Slot& s : slots_) n += s.file ? 1 : 0;
  return n;
}

ostd::Result<RefPtr<FsContext>> FsContext::Create() {
  RefPtr<Inode> root = RootInode();
  if (!root) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(RefPtr<FsContext> c, MakeRef<FsContext>(root, root, InitialMountNamespace()));
  return c;
}

ostd::Result<RefPtr<FsContext>> FsContext::Clone(bool new_mount_ns) const {
  RefPtr<MountNamespace> ns = mnt_ns_;
  if (new_mount_ns && ns) {
    OSTD_TRY_ASSIGN(ns, ns->Copy());
  }
  OSTD_TRY_ASSIGN(RefPtr<FsContext> c, MakeRef<FsContext>(root(), cwd(), std::move(ns)));
  c->SetUmask(umask());
  return c;
}

RefPtr<Inode> FsContext::root() const {
  ostd::SpinLockGuard g(lock_);
  return root_;
}
RefPtr<Inode> FsContext::cwd() const {
  ostd::SpinLockGuard g(lock_);
  return cwd_;
}
void FsContext::set_cwd(RefPtr<Inode> dir) {
  RefPtr<Inode> old;
  ostd::SpinLockGuard g(lock_);
  old = std::move(cwd_);
  cwd_ = std::move(dir);
}
void FsContext::set_root(RefPtr<Inode> dir) {
  RefPtr<Inode> old;
  ostd::SpinLockGuard g(lock_);
  old = std::move(root_);
  root_ = std::move(dir);
}
uint32_t FsContext::umask() const {
  ostd::SpinLockGuard g(lock_);
  return umask_;
}
uint32_t FsContext::SetUmask(uint32_t mask) {
  ostd::SpinLockGuard g(lock_);
  uint32_t old = umask_;
  umask_ = mask & 0777;
  return old;
}

}  // namespace kernel::fs
