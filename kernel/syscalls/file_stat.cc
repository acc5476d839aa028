// Attributes: the stat family, statx, statfs, access checks, chmod, chown,
// truncate, utimensat, and directory listing (getdents, getdents64).
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::ActorOf;
using file_sys::GetFile;
using file_sys::GetFileRaw;
using file_sys::UserPath;
using fs::File;
using fs::Inode;
using fs::InodeAttr;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

using UserString = UserInPtr<const char>;

constexpr int kAtFdCwd = fs::kAtFdCwd;

// What fstat reports for an anonymous pipe (pipefs on Linux).
InodeAttr AnonPipeAttr(const Thread& self) {
  InodeAttr at;
  at.mode = fs::kS_IFIFO | 0600;
  at.nlink = 1;
  at.uid = self.process().creds().fsuid;
  at.gid = self.process().creds().fsgid;
  at.blksize = 4096;
  return at;
}

// What fstat reports for a file of the anonymous inode (eventfd, timerfd,
// epoll): Linux's one anon_inode, made by the kernel (root) at boot.
InodeAttr AnonInodeAttr() {
  InodeAttr at;
  at.mode = 0600;
  at.nlink = 1;
  at.blksize = 4096;
  return at;
}

ostd::Result<InodeAttr> AttrOfFile(const Thread& self, const File& f) {
  if (f.socket_ino() != 0) {
    // Linux's sockfs inode: S_IFSOCK | 0777, owned by the creator.
    InodeAttr at = AnonPipeAttr(self);
    at.mode = fs::kS_IFSOCK | 0777;
    at.ino = f.socket_ino();
    return at;
  }
  if (f.inode() == nullptr && !f.anon_inode_name().empty()) return AnonInodeAttr();
  if (f.inode() == nullptr) return AnonPipeAttr(self);
  return f.inode()->GetAttr();
}

fs::LinuxStat ToStat(const InodeAttr& at) {
  fs::LinuxStat st{};
  st.st_dev = at.dev;
  st.st_ino = at.ino;
  st.st_nlink = at.nlink;
  st.st_mode = at.mode;
  st.st_uid = at.uid;
  st.st_gid = at.gid;
  st.st_rdev = at.rdev;
  st.st_size = static_cast<int64_t>(at.size);
  st.st_blksize = at.blksize;
  st.st_blocks = static_cast<int64_t>(at.blocks);
  st.st_atime_sec = at.atime.sec;
  st.st_atime_nsec = at.atime.nsec;
  st.st_mtime_sec = at.mtime.sec;
  st.st_mtime_nsec = at.mtime.nsec;
  st.st_ctime_sec = at.ctime.sec;
  st.st_ctime_nsec = at.ctime.nsec;
  return st;
}

fs::StatxTimestamp ToStatxTime(const fs::Timespec& t) {
  return fs::StatxTimestamp{t.sec, static_cast<uint32_t>(t.nsec), 0};
}

fs::LinuxStatx ToStatx(const InodeAttr& at) {
  fs::LinuxStatx sx{};
  sx.stx_mask = fs::kStatxBasicStats | fs::kStatxBtime;
  sx.stx_blksize = at.blksize;
  sx.stx_nlink = at.nlink;
  sx.stx_uid = at.uid;
  sx.stx_gid = at.gid;
  sx.stx_mode = static_cast<uint16_t>(at.mode);
  sx.stx_ino = at.ino;
  sx.stx_size = at.size;
  sx.stx_blocks = at.blocks;
  sx.stx_atime = ToStatxTime(at.atime);
  sx.stx_btime = ToStatxTime(at.btime);
  sx.stx_ctime = ToStatxTime(at.ctime);
  sx.stx_mtime = ToStatxTime(at.mtime);
  sx.stx_rdev_major = fs::DevMajor(at.rdev);
  sx.stx_rdev_minor = fs::DevMinor(at.rdev);
  sx.stx_dev_major = fs::DevMajor(at.dev);
  sx.stx_dev_minor = fs::DevMinor(at.dev);
  return sx;
}

// --- stat ---

SyscallResult SysFstat(Thread& self, int fd, UserOutPtr<fs::LinuxStat> buf) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, fd));
  OSTD_TRY_ASSIGN(InodeAttr at, AttrOfFile(self, *f));
  OSTD_TRY(ostd::vm::CopyToUser(buf, ToStat(at)));
  return 0;
}

// The attributes of what (dirfd, path, flags) names, for the stat family.
ostd::Result<InodeAttr> AttrAt(Thread& self, int dirfd, const UserPath& path, uint32_t flags) {
  if (path.empty() && dirfd != kAtFdCwd) {
    OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, dirfd));
    return AttrOfFile(self, *f);
  }
  bool follow = (flags & fs::kAtSymlinkNofollow) == 0;
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(), follow));
  return inode->GetAttr();
}

constexpr uint32_t kStatFlags =
    fs::kAtSymlinkNofollow | fs::kAtNoAutomount | fs::kAtEmptyPath | fs::kAtStatxSyncTypeMask;

SyscallResult SysNewfstatat(Thread& self, int dirfd, UserString upath,
                            UserOutPtr<fs::LinuxStat> buf, uint32_t flags) {
  if ((flags & ~kStatFlags) != 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
  OSTD_TRY_ASSIGN(InodeAttr at, AttrAt(self, dirfd, path, flags));
  OSTD_TRY(ostd::vm::CopyToUser(buf, ToStat(at)));
  return 0;
}
SyscallResult SysStat(Thread& self, UserString path, UserOutPtr<fs::LinuxStat> buf) {
  return SysNewfstatat(self, kAtFdCwd, path, buf, 0);
}
SyscallResult SysLstat(Thread& self, UserString path, UserOutPtr<fs::LinuxStat> buf) {
  return SysNewfstatat(self, kAtFdCwd, path, buf, fs::kAtSymlinkNofollow);
}

SyscallResult SysStatx(Thread& self, int dirfd, UserString upath, uint32_t flags, uint32_t mask,
                       UserOutPtr<fs::LinuxStatx> buf) {
  if ((mask & fs::kStatxReserved) != 0) return Err(Errno::kEINVAL);
  if ((flags & fs::kAtStatxSyncTypeMask) == fs::kAtStatxSyncTypeMask) return Err(Errno::kEINVAL);
  if ((flags & ~kStatFlags) != 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
  OSTD_TRY_ASSIGN(InodeAttr at, AttrAt(self, dirfd, path, flags));
  OSTD_TRY(ostd::vm::CopyToUser(buf, ToStatx(at)));
  return 0;
}

// --- statfs ---

struct LinuxStatfs {
  int64_t f_type;
  int64_t f_bsize;
  int64_t f_blocks;
  int64_t f_bfree;
  int64_t f_bavail;
  int64_t f_files;
  int64_t f_ffree;
  std::array<int32_t, 2> f_fsid;
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  std::array<int64_t, 4> f_spare;
  OSTD_POD(LinuxStatfs, f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid,
           f_namelen, f_frsize, f_flags, f_spare);
};
static_assert(sizeof(LinuxStatfs) == 120);

// statfs of a file on `fs`, or of a pipe (no file system: pipefs).
LinuxStatfs StatfsFor(fs::FileSystem* fs) {
  constexpr int64_t kPipefsMagic = 0x50495045;
  constexpr int64_t kStRdonly = 0x1, kStValid = 0x20, kStRelatime = 0x1000;
  LinuxStatfs s{};
  s.f_namelen = 255;
  if (fs == nullptr) {
    s.f_type = kPipefsMagic;
    s.f_bsize = 4096;
    s.f_frsize = 4096;
    s.f_flags = kStValid;
    return s;
  }
  fs::FsStats st = fs->Stats();
  s.f_type = static_cast<int64_t>(st.magic);
  s.f_bsize = static_cast<int64_t>(st.block_size);
  s.f_frsize = static_cast<int64_t>(st.block_size);
  s.f_blocks = static_cast<int64_t>(st.blocks);
  s.f_bfree = static_cast<int64_t>(st.blocks_free);
  s.f_bavail = static_cast<int64_t>(st.blocks_avail);
  s.f_files = static_cast<int64_t>(st.files);
  s.f_ffree = static_cast<int64_t>(st.files_free);
  s.f_flags = kStValid | kStRelatime | (st.read_only ? kStRdonly : 0);
  return s;
}

SyscallResult SysStatfs(Thread& self, UserString upath, UserOutPtr<LinuxStatfs> buf) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, kAtFdCwd, path.view(), true));
  OSTD_TRY(ostd::vm::CopyToUser(buf, StatfsFor(inode->fs())));
  return 0;
}

SyscallResult SysFstatfs(Thread& self, int fd, UserOutPtr<LinuxStatfs> buf) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, fd));
  OSTD_TRY(
      ostd::vm::CopyToUser(buf, StatfsFor(f->inode() != nullptr ? f->inode()->fs() : nullptr)));
  return 0;
}

// --- access ---

SyscallResult SysFaccessat2(Thread& self, int dirfd, UserString upath, uint32_t mode,
                            uint32_t flags) {
  if ((mode & ~7u) != 0) return Err(Errno::kEINVAL);
  if ((flags & ~(fs::kAtEaccess | fs::kAtSymlinkNofollow | fs::kAtEmptyPath)) != 0) {
    return Err(Errno::kEINVAL);
  }
  UserPath path;
  OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(),
                                                           (flags & fs::kAtSymlinkNofollow) == 0));
  if (mode == 0) return 0;
  fs::Actor actor = (flags & fs::kAtEaccess) != 0 ? ActorOf(self) : file_sys::RealActorOf(self);
  OSTD_TRY(fs::CheckAccess(*inode, mode, actor));
  return 0;
}
SyscallResult SysAccess(Thread& self, UserString path, uint32_t mode) {
  return SysFaccessat2(self, kAtFdCwd, path, mode, 0);
}
SyscallResult SysFaccessat(Thread& self, int dirfd, UserString path, uint32_t mode) {
  return SysFaccessat2(self, dirfd, path, mode, 0);
}

// --- chmod / chown ---

ostd::Status Chmod(Thread& self, Inode& inode, uint32_t mode) {
  fs::Actor actor = ActorOf(self);
  if (!actor.Capable(Cap::kFowner) && inode.uid() != actor.uid) return Err(Errno::kEPERM);
  return inode.ChangePerm(
      file_abi::ChmodPerm(mode, actor.Capable(Cap::kFsetid), actor.InGroup(inode.gid())));
}

SyscallResult SysFchmodat(Thread& self, int dirfd, UserString upath, uint32_t mode) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(), true));
  OSTD_TRY(Chmod(self, *inode, mode));
  return 0;
}
SyscallResult SysChmod(Thread& self, UserString path, uint32_t mode) {
  return SysFchmodat(self, kAtFdCwd, path, mode);
}
SyscallResult SysFchmod(Thread& self, int fd, uint32_t mode) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (f->inode() == nullptr) return Err(Errno::kEBADF);
  OSTD_TRY(Chmod(self, *f->inode(), mode));
  return 0;
}

ostd::Status Chown(Thread& self, Inode& inode, uint32_t uid, uint32_t gid) {
  fs::Actor actor = ActorOf(self);
  OSTD_TRY_ASSIGN(file_abi::Owner next,
                  file_abi::ChownResult(file_abi::Owner{inode.uid(), inode.gid()}, uid, gid,
                                        actor.uid, actor.InGroup(gid), actor.Capable(Cap::kChown)));
  inode.SetOwner(next.uid, next.gid);
  uint32_t mode = inode.mode();
  uint32_t after = file_abi::ModeAfterChown(mode);
  if (after != mode) inode.SetPerm(after & fs::kPermMask);
  return {};
}

SyscallResult SysFchownat(Thread& self, int dirfd, UserString upath, uint32_t uid, uint32_t gid,
                          uint32_t flags) {
  if ((flags & ~(fs::kAtSymlinkNofollow | fs::kAtEmptyPath)) != 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(),
                                                           (flags & fs::kAtSymlinkNofollow) == 0));
  OSTD_TRY(Chown(self, *inode, uid, gid));
  return 0;
}
SyscallResult SysChown(Thread& self, UserString path, uint32_t uid, uint32_t gid) {
  return SysFchownat(self, kAtFdCwd, path, uid, gid, 0);
}
SyscallResult SysLchown(Thread& self, UserString path, uint32_t uid, uint32_t gid) {
  return SysFchownat(self, kAtFdCwd, path, uid, gid, fs::kAtSymlinkNofollow);
}
SyscallResult SysFchown(Thread& self, int fd, uint32_t uid, uint32_t gid) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (f->inode() == nullptr) return Err(Errno::kEBADF);
  OSTD_TRY(Chown(self, *f->inode(), uid, gid));
  return 0;
}

// --- truncate, utimensat ---

SyscallResult SysTruncate(Thread& self, UserString upath, int64_t length) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  if (length < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, kAtFdCwd, path.view(), true));
  if (inode->is_dir()) return Err(Errno::kEISDIR);
  if (!inode->is_regular()) return Err(Errno::kEINVAL);
  OSTD_TRY(fs::CheckAccess(*inode, 2, ActorOf(self)));
  if (inode->write_denied()) return Err(Errno::kETXTBSY);
  file_sys::ThreadCaller caller(self);
  OSTD_TRY(fs::CheckGrowLimit(*inode, static_cast<uint64_t>(length), caller));
  OSTD_TRY(inode->Truncate(static_cast<uint64_t>(length)));
  return 0;
}

struct UserTimespec {
  int64_t sec;
  int64_t nsec;
  OSTD_POD(UserTimespec, sec, nsec);
};

std::optional<fs::Timespec> TimeFor(const UserTimespec& t) {
  if (t.nsec == file_abi::kUtimeOmit) return std::nullopt;
  if (t.nsec == file_abi::kUtimeNow) return fs::Now();
  return fs::Timespec{t.sec, t.nsec};
}

// utimensat(dirfd, path, times, flags): a null path names the file open at
// dirfd; null times mean now.
// Linux's do_utimes: sets the times of `upath` under `dirfd` (the open file
// itself when the path is null and dirfd is not AT_FDCWD); no `times`: now.
SyscallResult DoUtimes(Thread& self, int dirfd, UserString upath,
                       std::optional<std::array<UserTimespec, 2>> times, uint32_t flags) {
  if (times && (*times)[0].nsec == file_abi::kUtimeOmit &&
      (*times)[1].nsec == file_abi::kUtimeOmit) {
    return 0;
  }
  RefPtr<Inode> inode;
  if (upath.is_null() && dirfd != kAtFdCwd) {
    // utimensat(fd, NULL, ...): the open file itself (futimens).
    if (flags != 0) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, dirfd));
    if (f->inode() == nullptr) return Err(Errno::kEBADF);
    inode = f->inode_ref();
  } else {
    if ((flags & ~(fs::kAtSymlinkNofollow | fs::kAtEmptyPath)) != 0) return Err(Errno::kEINVAL);
    UserPath path;
    OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
    OSTD_TRY_ASSIGN(inode, file_sys::ResolveAt(self, dirfd, path.view(),
                                               (flags & fs::kAtSymlinkNofollow) == 0));
  }
  bool explicit_set = false;
  if (times) {
    for (const UserTimespec& t : *times) {
      if (!file_abi::ValidUtimeNsec(t.nsec)) return Err(Errno::kEINVAL);
      if (t.nsec != file_abi::kUtimeNow && t.nsec != file_abi::kUtimeOmit) explicit_set = true;
    }
  }
  fs::Actor actor = ActorOf(self);
  bool owner = actor.Capable(Cap::kFowner) || inode->uid() == actor.uid;
  if (explicit_set && !owner) return Err(Errno::kEPERM);
  if (!owner) OSTD_TRY(fs::CheckAccess(*inode, 2, actor));
  if (times) {
    inode->SetTimes(TimeFor((*times)[0]), TimeFor((*times)[1]));
  } else {
    fs::Timespec now = fs::Now();
    inode->SetTimes(now, now);
  }
  return 0;
}

SyscallResult SysUtimensat(Thread& self, int dirfd, UserString upath,
                           UserInPtr<std::array<UserTimespec, 2>> utimes, uint32_t flags) {
  std::optional<std::array<UserTimespec, 2>> times;
  if (!utimes.is_null()) {
    OSTD_TRY_ASSIGN(times, ostd::vm::CopyFromUser(utimes));
  }
  return DoUtimes(self, dirfd, upath, times, flags);
}

// struct timeval, as utimes and futimesat take it.
struct UserTimeval {
  int64_t sec;
  int64_t usec;
  OSTD_POD(UserTimeval, sec, usec);
};

// futimesat(dirfd, path, times) and utimes(path, times): microseconds,
// checked before they become nanoseconds (so UTIME_NOW and UTIME_OMIT are
// EINVAL here), as Linux's do_futimesat.
SyscallResult SysFutimesat(Thread& self, int dirfd, UserString upath,
                           UserInPtr<std::array<UserTimeval, 2>> utimes) {
  std::optional<std::array<UserTimespec, 2>> times;
  if (!utimes.is_null()) {
    OSTD_TRY_ASSIGN(auto tv, ostd::vm::CopyFromUser(utimes));
    std::array<UserTimespec, 2> ts{};
    for (size_t i = 0; i < 2; ++i) {
      if (tv[i].usec < 0 || tv[i].usec >= 1'000'000) return Err(Errno::kEINVAL);
      ts[i] = UserTimespec{.sec = tv[i].sec, .nsec = tv[i].usec * 1000};
    }
    times = ts;
  }
  return DoUtimes(self, dirfd, upath, times, 0);
}

SyscallResult SysUtimes(Thread& self, UserString upath,
                        UserInPtr<std::array<UserTimeval, 2>> utimes) {
  return SysFutimesat(self, fs::kAtFdCwd, upath, utimes);
}

// utime(path, times): struct utimbuf, whole seconds.
struct UserUtimbuf {
  int64_t actime;
  int64_t modtime;
  OSTD_POD(UserUtimbuf, actime, modtime);
};

SyscallResult SysUtime(Thread& self, UserString upath, UserInPtr<UserUtimbuf> ubuf) {
  std::optional<std::array<UserTimespec, 2>> times;
  if (!ubuf.is_null()) {
    OSTD_TRY_ASSIGN(UserUtimbuf b, ostd::vm::CopyFromUser(ubuf));
    times = std::array<UserTimespec, 2>{UserTimespec{.sec = b.actime, .nsec = 0},
                                        UserTimespec{.sec = b.modtime, .nsec = 0}};
  }
  return DoUtimes(self, fs::kAtFdCwd, upath, times, 0);
}

// --- getdents, getdents64 ---

// Writes linux_dirent64 records (or getdents's legacy linux_dirent ones)
// straight into the user buffer; an entry that does not fit (or faults) is
// not taken, so the next call lists it again.
class DirentWriter final : public fs::DirSink {
 public:
  DirentWriter(ostd::vm::VmWriter<ostd::vm::Fallible>& out, bool legacy)
      : out_(out), legacy_(legacy) {}

  bool Emit(std::string_view name, uint64_t ino, uint8_t type, uint64_t next_cookie) override {
    static_assert(fs::DirentRecLen(fs::kNameMax) <= fs::Dirent64RecLen(fs::kNameMax));
    std::array<uint8_t, fs::Dirent64RecLen(fs::kNameMax)> rec;
    int64_t off = static_cast<int64_t>(next_cookie);
    size_t len = legacy_ ? fs::PackDirent(rec, ino, off, type, name)
                         : fs::PackDirent64(rec, ino, off, type, name);
    if (len == 0 || len > out_.avail()) {
      if (written_ == 0) too_small_ = true;
      return false;
    }
    ostd::vm::VmReader<ostd::vm::Infallible> r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(
        std::span<const uint8_t>(rec).first(len));
    ostd::vm::CopyResult c = r.ReadTo(out_);
    if (!c.ok()) {
      fault_ = true;
      return false;
    }
    written_ += len;
    return true;
  }

  ostd::Result<size_t> Result() const {
    if (written_ > 0) return written_;
    if (fault_) return Err(Errno::kEFAULT);
    if (too_small_) return Err(Errno::kEINVAL);
    return size_t{0};
  }

 private:
  ostd::vm::VmWriter<ostd::vm::Fallible>& out_;
  bool legacy_;
  size_t written_ = 0;
  bool too_small_ = false;
  bool fault_ = false;
};

// getdents64(fd, dirent, count) and getdents (legacy records): count is an
// unsigned int, but Linux keeps the room left in an int: a count above
// INT_MAX fits no entry (EINVAL, or 0 at the end of the directory).
SyscallResult ReadDirents(Thread& self, int fd, UserOutPtr<void> dirent, uint32_t count,
                          bool legacy) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (f->inode() == nullptr || !f->inode()->is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY(ostd::vm::UserWriter(dirent, count));  // access_ok over all of it
  uint32_t room = count > 0x7fffffffU ? 0 : count;
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(dirent, room));
  DirentWriter sink(w, legacy);
  OSTD_TRY(f->ReadDir(sink));
  OSTD_TRY_ASSIGN(size_t n, sink.Result());
  return n;
}

SyscallResult SysGetdents64(Thread& self, int fd, UserOutPtr<void> dirent, uint32_t count) {
  return ReadDirents(self, fd, dirent, count, /*legacy=*/false);
}

// d_ino is an unsigned long: 64 bits on x86_64, so no inode is EOVERFLOW.
SyscallResult SysGetdents(Thread& self, int fd, UserOutPtr<void> dirent, uint32_t count) {
  return ReadDirents(self, fd, dirent, count, /*legacy=*/true);
}

}  // namespace

void RegisterFileStatSyscalls(SyscallTable& t) {
  t.Bind<sysno::stat, SysStat>();
  t.Bind<sysno::fstat, SysFstat>();
  t.Bind<sysno::lstat, SysLstat>();
  t.Bind<sysno::access, SysAccess>();
  t.Bind<sysno::truncate, SysTruncate>();
  t.Bind<sysno::chmod, SysChmod>();
  t.Bind<sysno::fchmod, SysFchmod>();
  t.Bind<sysno::chown, SysChown>();
  t.Bind<sysno::fchown, SysFchown>();
  t.Bind<sysno::lchown, SysLchown>();
  t.Bind<sysno::statfs, SysStatfs>();
  t.Bind<sysno::fstatfs, SysFstatfs>();
  t.Bind<sysno::getdents, SysGetdents>();
  t.Bind<sysno::getdents64, SysGetdents64>();
  t.Bind<sysno::fchownat, SysFchownat>();
  t.Bind<sysno::newfstatat, SysNewfstatat>();
  t.Bind<sysno::fchmodat, SysFchmodat>();
  t.Bind<sysno::faccessat, SysFaccessat>();
  t.Bind<sysno::utimensat, SysUtimensat>();
  t.Bind<sysno::futimesat, SysFutimesat>();
  t.Bind<sysno::utimes, SysUtimes>();
  t.Bind<sysno::utime, SysUtime>();
  t.Bind<sysno::statx, SysStatx>();
  t.Bind<sysno::faccessat2, SysFaccessat2>();
}

}  // namespace kernel
