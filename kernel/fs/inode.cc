#include "kernel/fs/inode.h"

#include "kernel/fs/block_device.h"
#include "kernel/fs/device.h"
#include "kernel/fs/file.h"
#include "kernel/fs/pipe.h"
#include "ostd/timer.h"

namespace kernel::fs {
namespace {

using ostd::Err;
using ostd::Errno;

std::atomic<int64_t> g_boot_wall_ns{0};
std::atomic<uint32_t> g_next_anon_minor{1};

}  // namespace

uint32_t TypeBits(InodeType t) {
  switch (t) {
    case InodeType::kRegular:
      return kS_IFREG;
    case InodeType::kDirectory:
      return kS_IFDIR;
    case InodeType::kSymlink:
      return kS_IFLNK;
    case InodeType::kCharDevice:
      return kS_IFCHR;
    case InodeType::kFifo:
      return kS_IFIFO;
    case InodeType::kSocket:
      return kS_IFSOCK;
    case InodeType::kBlockDevice:
      return kS_IFBLK;
  }
  return kS_IFREG;
}

std::optional<InodeType> TypeFromMode(uint32_t mode) {
  switch (mode & kS_IFMT) {
    case 0:
    case kS_IFREG:
      return InodeType::kRegular;
    case kS_IFDIR:
      return InodeType::kDirectory;
    case kS_IFLNK:
      return InodeType::kSymlink;
    case kS_IFCHR:
      return InodeType::kCharDevice;
    case kS_IFBLK:
      return InodeType::kBlockDevice;
    case kS_IFIFO:
      return InodeType::kFifo;
    case kS_IFSOCK:
      return InodeType::kSocket;
    default:
      return std::nullopt;
  }
}

Timespec Now() {
  int64_t ns = static_cast<int64_t>(ostd::timer::NowNanos()) +
               g_boot_wall_ns.load(std::memory_order_relaxed);
  return Timespec{ns / 1'000'000'000, ns % 1'000'000'000};
}

void SetBootWallClockNs(int64_t epoch_ns_at_boot) {
  g_boot_wall_ns.store(epoch_ns_at_boot, std::memory_order_relaxed);
}

uint64_t FileSystem::AllocAnonDev() {
  return MakeDev(0, g_next_anon_minor.fetch_add(1, std::memory_order_relaxed));
}

Inode::Inode(FileSystem* fs, InodeType type, uint32_t perm, uint32_t uid, uint32_t gid,
             uint64_t rdev)
    : Inode(fs, FixedIno{fs->NextIno()}, type, perm, uid, gid, rdev) {}

Inode::Inode(FileSystem* fs, FixedIno ino, InodeType type, uint32_t perm, uint32_t uid,
             uint32_t gid, uint64_t rdev)
    : fs_(fs->RefFromThis()), type_(type), ino_(ino.ino), rdev_(rdev) {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.dev = fs->dev();
  attr_.ino = ino_;
  attr_.mode = TypeBits(type) | (perm & kPermMask);
  attr_.nlink = type == InodeType::kDirectory ? 2 : 1;
  attr_.uid = uid;
  attr_.gid = gid;
  attr_.rdev = rdev;
  attr_.atime = attr_.mtime = attr_.ctime = attr_.btime = now;
}

InodeAttr Inode::GetAttr() const {
  ostd::SpinLockGuard g(attr_lock_);
  InodeAttr a = attr_;
  a.blocks = (a.size + 511) / 512;
  return a;
}

uint32_t Inode::mode() const {
  ostd::SpinLockGuard g(attr_lock_);
  return attr_.mode;
}
uint32_t Inode::uid() const {
  ostd::SpinLockGuard g(attr_lock_);
  return attr_.uid;
}
uint32_t Inode::gid() const {
  ostd::SpinLockGuard g(attr_lock_);
  return attr_.gid;
}
uint32_t Inode::nlink() const {
  ostd::SpinLockGuard g(attr_lock_);
  return attr_.nlink;
}
uint64_t Inode::size() const { return size_.load(std::memory_order_acquire); }

void Inode::SetSizeLocked(uint64_t size) {
  attr_.size = size;
  size_.store(size, std::memory_order_release);
}

void Inode::SetPerm(uint32_t perm) {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.mode = (attr_.mode & kS_IFMT) | (perm & kPermMask);
  attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);
}

void Inode::SetOwner(uint32_t uid, uint32_t gid) {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.uid = uid;
  attr_.gid = gid;
  attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);
}

void Inode::AdjustLinks(int delta) {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  if (delta < 0 && attr_.nlink < static_cast<uint32_t>(-delta)) {
    attr_.nlink = 0;
  } else {
    attr_.nlink = static_cast<uint32_t>(static_cast<int64_t>(attr_.nlink) + delta);
  }
  attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);
}

void Inode::TouchAccess() {
  // Linux's default relatime: atime moves only when it is not newer than
  // mtime and ctime, or is a day old. Most reads skip the lock, and decide so
  // without reading the clock: the seconds since boot from the tick count
  // (coarse, as the clock Linux's current_time() reads), which is all a
  // one-day threshold needs.
  constexpr int64_t kDay = 24 * 60 * 60;
  if (!atime_due_.load(std::memory_order_relaxed)) {
    int64_t coarse_sec = static_cast<int64_t>(ostd::timer::Ticks() / ostd::timer::kTickHz) +
                         g_boot_wall_ns.load(std::memory_order_relaxed) / 1'000'000'000;
    if (coarse_sec - atime_sec_.load(std::memory_order_relaxed) < kDay) return;
  }
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.atime = now;
  atime_sec_.store(now.sec, std::memory_order_relaxed);
  atime_due_.store(false, std::memory_order_relaxed);
}
void Inode::TouchModify() {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.mtime = attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);
}
void Inode::TouchChange() {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);
}
void Inode::SetTimes(std::optional<Timespec> atime, std::optional<Timespec> mtime) {
  Timespec now = Now();
  ostd::SpinLockGuard g(attr_lock_);
  if (atime) {
    attr_.atime = *atime;
    atime_sec_.store(atime->sec, std::memory_order_relaxed);
  }
  if (mtime) attr_.mtime = *mtime;
  attr_.ctime = now;
  atime_due_.store(true, std::memory_order_relaxed);  // ctime moved past atime
}

ostd::Result<size_t> Inode::ReadAt(uint64_t, IoWriter&) {
  return Err(is_dir() ? Errno::kEISDIR : Errno::kEINVAL);
}
ostd::Result<size_t> Inode::WriteAt(uint64_t, IoReader&) {
  return Err(is_dir() ? Errno::kEISDIR : Errno::kEINVAL);
}
ostd::Status Inode::Truncate(uint64_t) { return Err(is_dir() ? Errno::kEISDIR : Errno::kEINVAL); }
ostd::Status Inode::Fallocate(uint32_t, uint64_t, uint64_t) {
  // Linux's vfs_fallocate: a directory is EISDIR, anything but a regular
  // file ENODEV, and a regular file whose file system has no fallocate
  // (ext2) EOPNOTSUPP.
  if (is_dir()) return Err(Errno::kEISDIR);
  return Err(is_regular() ? Errno::kEOPNOTSUPP : Errno::kENODEV);
}
ostd::Result<ostd::mm::UFrame> Inode::GetPage(uint64_t, bool) { return Err(Errno::kENODEV); }

ostd::Result<RefPtr<Inode>> Inode::Lookup(std::string_view) { return Err(Errno::kENOTDIR); }
ostd::Result<RefPtr<Inode>> Inode::Create(std::string_view, InodeType, uint32_t, uint32_t, uint32_t,
                                          uint64_t) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Result<RefPtr<Inode>> Inode::Symlink(std::string_view, std::string_view, uint32_t, uint32_t) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Result<RefPtr<Inode>> Inode::CreateTmpfile(uint32_t, uint32_t, uint32_t, bool) {
  return Err(is_dir() ? Errno::kEOPNOTSUPP : Errno::kENOTDIR);
}
ostd::Status Inode::Link(std::string_view, const RefPtr<Inode>&) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Status Inode::Unlink(std::string_view) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Status Inode::Rmdir(std::string_view) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Status Inode::Rename(std::string_view, Inode&, std::string_view, uint32_t) {
  return Err(is_dir() ? Errno::kEPERM : Errno::kENOTDIR);
}
ostd::Result<uint64_t> Inode::ReadDir(uint64_t, DirSink&) { return Err(Errno::kENOTDIR); }
RefPtr<Inode> Inode::Parent() { return RefFromThis(); }
bool Inode::HasChildren() { return false; }

RefPtr<NodeObject> Inode::node_object() const {
  ostd::SpinLockGuard g(node_lock_);
  return fifo_;
}
void Inode::set_node_object(RefPtr<NodeObject> obj) {
  ostd::SpinLockGuard g(node_lock_);
  fifo_ = std::move(obj);
}

ostd::Result<size_t> Inode::ReadLink(std::span<char>) { return Err(Errno::kEINVAL); }

ostd::Status Inode::ChangePerm(uint32_t perm) {
  SetPerm(perm);
  return {};
}

ostd::Result<uint32_t> Inode::GetSeals() { return Err(Errno::kEINVAL); }

ostd::Status Inode::AddSeals(uint32_t) { return Err(Errno::kEINVAL); }

ostd::Result<bool> Inode::BeginSharedMapping(bool, bool file_writable) { return file_writable; }

ostd::Result<RefPtr<File>> Inode::Open(uint32_t flags, Caller& caller) {
  RefPtr<Inode> self = RefFromThis();
  if ((flags & kO_PATH) == 0) {
    if (type_ == InodeType::kCharDevice) return OpenDevice(self, flags);
    if (type_ == InodeType::kBlockDevice) return OpenBlockDevice(self, flags);
    if (type_ == InodeType::kFifo) return OpenFifo(self, flags, caller);
    if (type_ == InodeType::kSocket) return Err(Errno::kENXIO);
  }
  OSTD_TRY_ASSIGN(RefPtr<File> f, MakeRef<InodeFile>(self, flags));
  return f;
}

}  // namespace kernel::fs
