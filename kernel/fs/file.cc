#include "kernel/fs/file.h"

#include <algorithm>

#include "kernel/fs/flock.h"
#include "kernel/fs/record_lock.h"
#include "ostd/util/span_copy.h"

namespace kernel::fs {

using ostd::Err;
using ostd::Errno;

void File::SetStatusFlags(uint32_t flags) {
  uint32_t old = flags_.load(std::memory_order_relaxed);
  while (!flags_.compare_exchange_weak(old, (old & ~kSetflMask) | (flags & kSetflMask))) {
  }
}

bool File::readable() const {
  uint32_t f = flags();
  if ((f & kO_PATH) != 0) return false;
  return (f & kO_ACCMODE) == kO_RDONLY || (f & kO_ACCMODE) == kO_RDWR;
}

bool File::writable() const {
  uint32_t f = flags();
  if ((f & kO_PATH) != 0) return false;
  return (f & kO_ACCMODE) == kO_WRONLY || (f & kO_ACCMODE) == kO_RDWR;
}

ostd::Result<size_t> File::Read(IoWriter& dst, Caller& caller) {
  ostd::MutexGuard g(pos_lock_);
  OSTD_TRY_ASSIGN(size_t n, ReadAt(pos_, dst, caller));
  pos_ += n;
  return n;
}

File::~File() {
  if (counts_writer_) inode_->RemoveWriter();
  if (holds_locks_.load(std::memory_order_acquire)) {
    ReleaseFlocks(lock_owner_);
    ReleaseAllRecordLocks(LockOwner{.id = lock_owner_, .ofd = true});
  }
}

uint64_t File::NextLockOwner() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

ostd::Result<size_t> File::Write(IoReader& src, Caller& caller) {
  ostd::MutexGuard g(pos_lock_);
  if ((flags() & kO_APPEND) != 0 && inode_) pos_ = inode_->size();
  OSTD_TRY_ASSIGN(size_t n, WriteAt(pos_, src, caller));
  pos_ += n;
  return n;
}

ostd::Result<size_t> File::ReadAt(uint64_t offset, IoWriter& dst, Caller&) {
  if (!inode_) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(size_t n, inode_->ReadAt(offset, dst));
  inode_->TouchAccess();
  return n;
}

ostd::Result<size_t> File::WriteAt(uint64_t offset, IoReader& src, Caller& caller) {
  if (!inode_) return Err(Errno::kEINVAL);
  OSTD_TRY(CheckFileSizeLimit(*inode_, offset, src, caller));
  return inode_->WriteAt(offset, src);
}

ostd::Status CheckFileSizeLimit(const Inode& inode, uint64_t offset, IoReader& src,
                                Caller& caller) {
  uint64_t limit = caller.FileSizeLimit();
  if (limit == Caller::kNoFileSizeLimit || !inode.is_regular() || src.remain() == 0) return {};
  if (offset >= limit) {
    caller.SendSignal(kSigXfsz);
    return Err(Errno::kEFBIG);
  }
  src.Limit(limit - offset);
  return {};
}

ostd::Status CheckGrowLimit(const Inode& inode, uint64_t new_size, Caller& caller) {
  uint64_t limit = caller.FileSizeLimit();
  if (limit == Caller::kNoFileSizeLimit || new_size <= inode.size() || new_size <= limit) return {};
  caller.SendSignal(kSigXfsz);
  return Err(Errno::kEFBIG);
}

ostd::Result<uint64_t> File::Seek(int64_t offset, int whence) {
  if (!seekable()) return Err(Errno::kESPIPE);
  ostd::MutexGuard g(pos_lock_);
  int64_t base = 0;
  int64_t size = static_cast<int64_t>(SeekEndSize());
  switch (whence) {
    case kSeekSet:
      base = 0;
      break;
    case kSeekCur:
      base = static_cast<int64_t>(pos_);
      break;
    case kSeekEnd:
      base = size;
      break;
    case kSeekData:
      // The whole file is data (holes read as zeros and count as data here).
      if (offset < 0 || offset >= size) return Err(Errno::kENXIO);
      pos_ = static_cast<uint64_t>(offset);
      return pos_;
    case kSeekHole:
      if (offset < 0 || offset >= size) return Err(Errno::kENXIO);
      pos_ = static_cast<uint64_t>(size);
      return pos_;
    default:
      return Err(Errno::kEINVAL);
  }
  int64_t target = 0;
  if (__builtin_add_overflow(base, offset, &target)) return Err(Errno::kEOVERFLOW);
  if (target < 0) return Err(Errno::kEINVAL);
  pos_ = static_cast<uint64_t>(target);
  return pos_;
}

uint16_t File::Poll() { return kPollIn | kPollOut | kPollRdNorm | kPollWrNorm; }

ostd::Result<uint64_t> File::Ioctl(uint32_t, uint64_t, Caller&) { return Err(Errno::kENOTTY); }

ostd::Result<uint64_t> File::ReadDir(DirSink& sink) {
  if (!inode_ || !inode_->is_dir()) return Err(Errno::kENOTDIR);
  ostd::MutexGuard g(pos_lock_);
  OSTD_TRY_ASSIGN(uint64_t next, inode_->ReadDir(pos_, sink));
  pos_ = next;
  inode_->TouchAccess();
  return next;
}

ostd::Status File::SetPath(RefPtr<Inode> base, std::string_view path) {
  OSTD_TRY(path_.Resize(path.size()));
  (void)ostd::CopyChars(path, path_.span());
  path_base_ = !path.empty() && path.front() == '/' ? nullptr : std::move(base);
  return {};
}

uint64_t File::offset() {
  ostd::MutexGuard g(pos_lock_);
  return pos_;
}

}  // namespace kernel::fs
