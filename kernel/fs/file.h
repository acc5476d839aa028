// Open file descriptions (struct file): an inode, the open flags and the file
// offset, shared by every descriptor dup'ed or inherited from one open().
#ifndef KERNEL_FS_FILE_H_
#define KERNEL_FS_FILE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/base/thread_annotations.h"

#include "kernel/fs/inode.h"
#include "kernel/fs/io.h"
#include "kernel/fs/ref.h"
#include "kernel/fs/wait.h"
#include "ostd/fmt.h"
#include "ostd/result.h"
#include "ostd/task/mutex.h"
#include "ostd/util/vec.h"

namespace kernel::fs {

inline constexpr int kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2, kSeekData = 3, kSeekHole = 4;

class File : public RefCounted<File>, public ostd::DowncastRoot<File> {
 public:
  // `inode` may be null for anonymous objects (pipes made by pipe2).
  // A description that may write a regular file counts as its writer
  // (Inode::AddWriter) for as long as it lives.
  File(RefPtr<Inode> inode, uint32_t flags) : inode_(std::move(inode)), flags_(flags) {
    if (inode_ && writable() && inode_->is_regular()) {
      inode_->AddWriter();
      counts_writer_ = true;
    }
  }
  // Drops the description's flock and OFD locks, and its writer count.
  virtual ~File();

  Inode* inode() const { return inode_.get(); }
  const RefPtr<Inode>& inode_ref() const { return inode_; }
  uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  // F_SETFL: replaces the kSetflMask bits.
  void SetStatusFlags(uint32_t flags);
  bool is_path() const { return (flags() & kO_PATH) != 0; }
  bool readable() const;
  bool writable() const;
  bool nonblocking() const { return (flags() & kO_NONBLOCK) != 0; }
  // flock(2) and OFD record locks (flock.h, record_lock.h): this
  // description's identity as a lock owner, and a mark that it may hold a
  // lock (so that its end releases it).
  uint64_t lock_owner() const { return lock_owner_; }
  void set_holds_locks() { holds_locks_.store(true, std::memory_order_release); }

  // read(2)/write(2) at the file offset (O_APPEND writes at the end). The
  // defaults go to the inode's ReadAt/WriteAt under the offset lock.
  virtual ostd::Result<size_t> Read(IoWriter& dst, Caller& caller);
  virtual ostd::Result<size_t> Write(IoReader& src, Caller& caller);
  // pread/pwrite; ESPIPE for unseekable files.
  virtual ostd::Result<size_t> ReadAt(uint64_t offset, IoWriter& dst, Caller& caller);
  // The base class writes the inode, within the caller's file size limit
  // (CheckFileSizeLimit).
  virtual ostd::Result<size_t> WriteAt(uint64_t offset, IoReader& src, Caller& caller);
  virtual bool seekable() const { return true; }
  // lseek; EINVAL for a negative result, ESPIPE if unseekable.
  virtual ostd::Result<uint64_t> Seek(int64_t offset, int whence);
  // The size SEEK_END, SEEK_DATA and SEEK_HOLE count from: the inode's size
  // by default (a block device's is the disk's size, not its inode's).
  virtual uint64_t SeekEndSize() const { return inode_ ? inode_->size() : 0; }
  // Ready poll events (kPollIn | kPollOut | ...) now; regular files are
  // always ready.
  virtual uint16_t Poll();
  // For files of Linux's anonymous inode (eventfd, timerfd, epoll): the
  // name /proc/<pid>/fd shows as "anon_inode:<name>" ("[eventfd]"); fstat
  // reports mode 0600 without a type. Empty for every other file.
  virtual std::string_view anon_inode_name() const { return {}; }
  // /proc/<pid>/fdinfo/<fd>: the lines this kind of file adds after the
  // common ones (Linux's show_fdinfo), each ending in a newline. None by
  // default.
  virtual void ShowFdinfo(ostd::FormatSink& out) { (void)out; }
  // For sockets: the socket's inode number (fstat reports S_IFSOCK with it,
  // /proc/<pid>/fd shows "socket:[ino]"); 0 for every other file.
  virtual uint64_t socket_ino() const { return 0; }
  // What Poll() readiness changes are announced on (nullptr: never changes).
  virtual Waitable* waitable() { return nullptr; }
  // When Poll() may next change with no Notify (a timer's expiry), on the
  // ostd::timer::NowNanos clock; nullopt if only through waitable(). Pollers
  // wait no longer than this.
  virtual std::optional<uint64_t> PollDeadline() { return std::nullopt; }
  // A counter that changes whenever readiness may have been renewed (new
  // data, a new expiry): epoll's edge-triggered mode reports a ready file
  // again only after it changed. Default: waitable()'s version, or 0.
  virtual uint64_t PollGeneration() {
    Waitable* w = waitable();
    return w == nullptr ? 0 : w->version();
  }
  virtual ostd::Result<uint64_t> Ioctl(uint32_t cmd, uint64_t arg, Caller& caller);
  // getdents64 support: lists entries from the file offset into `sink` and
  // advances the offset. ENOTDIR for non-directories.
  ostd::Result<uint64_t> ReadDir(DirSink& sink);

  uint64_t offset();

  // The path the file was opened by, for /proc/<pid>/fd: relative to
  // path_base() (null for an absolute path); empty for anonymous files. Set
  // once, before the file is shared.
  std::string_view path() const { return std::string_view(path_.span()); }
  const RefPtr<Inode>& path_base() const { return path_base_; }
  ostd::Status SetPath(RefPtr<Inode> base, std::string_view path);

 private:
  ostd::Vec<char> path_;
  RefPtr<Inode> path_base_;
  RefPtr<Inode> inode_;
  std::atomic<uint32_t> flags_;
  ostd::Mutex pos_lock_;
  uint64_t pos_ ABSL_GUARDED_BY(pos_lock_) = 0;
  const uint64_t lock_owner_ = NextLockOwner();
  std::atomic<bool> holds_locks_{false};
  bool counts_writer_ = false;

  static uint64_t NextLockOwner();
};

// A plain file over an inode (regular files, directories, symlinks with O_PATH).
class InodeFile : public File {
 public:
  using File::File;
};

// RLIMIT_FSIZE, as Linux's generic_write_checks applies it to a write of a
// regular file at `offset`: past the limit, SIGXFSZ to the caller and EFBIG;
// below it, `src` is cut to end at the limit. Empty writes are never refused.
inline constexpr int kSigXfsz = 25;
ostd::Status CheckFileSizeLimit(const Inode& inode, uint64_t offset, IoReader& src, Caller& caller);
// The same for truncate/fallocate growing `inode` to `new_size`
// (inode_newsize_ok): SIGXFSZ and EFBIG past the limit.
ostd::Status CheckGrowLimit(const Inode& inode, uint64_t new_size, Caller& caller);

}  // namespace kernel::fs

#endif  // KERNEL_FS_FILE_H_
