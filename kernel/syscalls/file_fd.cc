// Descriptor management: close, dup*, fcntl, pipes, close_range, and the
// per-descriptor calls that only check the descriptor (flock, fsync,
// fadvise64) or change the file's size (ftruncate, fallocate).
//
// flock locks (kernel/fs/flock.h) and record locks (F_GETLK/F_SETLK/F_SETLKW
// and the OFD variants, kernel/fs/record_lock.h) are enforced between
// processes.
#include <array>
#include <cstdint>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/flock.h"
#include "kernel/fs/fs_type.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/record_lock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::GetFile;
using file_sys::GetFileRaw;
using fs::File;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserOutPtr;

bool IsPipeLike(const File& f) {
  return !f.seekable() && (f.inode() == nullptr || f.inode()->type() == fs::InodeType::kFifo);
}

SyscallResult SysClose(Thread& self, int fd) {
  OSTD_TRY(self.process().files().Close(fd));
  return 0;
}

SyscallResult SysDup(Thread& self, int oldfd) {
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup(oldfd));
  return fd;
}

SyscallResult SysDup2(Thread& self, int oldfd, int newfd) {
  if (oldfd == newfd) {
    OSTD_TRY(GetFileRaw(self, oldfd));
    return newfd;
  }
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup3(oldfd, newfd, false));
  return fd;
}

SyscallResult SysDup3(Thread& self, int oldfd, int newfd, uint32_t flags) {
  if ((flags & ~fs::kO_CLOEXEC) != 0) return Err(Errno::kEINVAL);
  if (oldfd == newfd) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup3(oldfd, newfd, flags != 0));
  return fd;
}

// The byte range a struct flock names, from l_whence, l_start and l_len
// (negative: the bytes before l_start; 0: to the end of any file). EINVAL
// for a range starting before 0, EOVERFLOW past the largest offset.
ostd::Result<fs::LockRange> FlockRange(File& f, const file_abi::Flock& lock) {
  int64_t base = 0;
  if (lock.l_whence == fs::kSeekCur) {
    OSTD_TRY_ASSIGN(uint64_t pos, f.Seek(0, fs::kSeekCur));
    base = static_cast<int64_t>(pos);
  } else if (lock.l_whence == fs::kSeekEnd) {
    base = f.inode() == nullptr ? 0 : static_cast<int64_t>(f.inode()->size());
  }
  int64_t start = 0;
  if (__builtin_add_overflow(base, lock.l_start, &start)) return Err(Errno::kEOVERFLOW);
  if (start < 0) return Err(Errno::kEINVAL);
  if (lock.l_len == 0) return fs::LockRange{static_cast<uint64_t>(start), ~uint64_t{0}};
  if (lock.l_len > 0) {
    int64_t end = 0;
    if (__builtin_add_overflow(start, lock.l_len - 1, &end)) return Err(Errno::kEOVERFLOW);
    return fs::LockRange{static_cast<uint64_t>(start), static_cast<uint64_t>(end)};
  }
  int64_t first = start + lock.l_len;  // l_len < 0, start >= 0: no overflow
  if (first < 0) return Err(Errno::kEINVAL);
  return fs::LockRange{static_cast<uint64_t>(first), static_cast<uint64_t>(start - 1)};
}

// F_GETLK/F_SETLK/F_SETLKW and the OFD forms (record_lock.h): POSIX locks
// belong to the caller's descriptor table, OFD locks to the description.
SyscallResult FcntlLock(Thread& self, File& f, int cmd, uint64_t arg) {
  using file_abi::Flock;
  bool ofd =
      cmd == file_abi::kFOfdGetlk || cmd == file_abi::kFOfdSetlk || cmd == file_abi::kFOfdSetlkw;
  // The struct is read, and written back for F_GETLK.
  UserInOutPtr<Flock> user_lock(arg);
  OSTD_TRY_ASSIGN(Flock lock, ostd::vm::CopyFromUser(user_lock));
  OSTD_TRY(file_abi::CheckFlock(lock, ofd));
  OSTD_TRY_ASSIGN(fs::LockRange range, FlockRange(f, lock));
  fs::FdTable& files = self.process().files();
  fs::LockOwner owner{.id = ofd ? f.lock_owner() : files.lock_owner(), .ofd = ofd};
  fs::LockType type = lock.l_type == file_abi::kFRdlck   ? fs::LockType::kRead
                      : lock.l_type == file_abi::kFWrlck ? fs::LockType::kWrite
                                                         : fs::LockType::kUnlock;
  if (cmd == file_abi::kFGetlk || cmd == file_abi::kFOfdGetlk) {
    if (lock.l_type == file_abi::kFUnlck) return Err(Errno::kEINVAL);
    std::optional<fs::LockInfo> held =
        f.inode() == nullptr ? std::nullopt : fs::TestRecordLock(*f.inode(), owner, type, range);
    if (!held) {
      lock.l_type = file_abi::kFUnlck;
    } else {
      lock.l_type = held->type == fs::LockType::kWrite ? file_abi::kFWrlck : file_abi::kFRdlck;
      lock.l_whence = fs::kSeekSet;
      lock.l_start = static_cast<int64_t>(held->range.start);
      lock.l_len = held->range.end == ~uint64_t{0}
                       ? 0
                       : static_cast<int64_t>(held->range.end - held->range.start + 1);
      // The holder as the caller's pid namespace numbers it (0 outside).
      lock.l_pid = held->pid;
      if (held->pid > 0 && self.process().pid_ns().level() != 0) {
        ostd::SpinLockGuard guard(TreeLock());
        lock.l_pid = PidInLocked(held->pid, self.process().pid_ns());
      }
    }
    OSTD_TRY(ostd::vm::CopyToUser(user_lock, lock));
    return 0;
  }
  if (lock.l_type == file_abi::kFRdlck && !f.readable()) return Err(Errno::kEBADF);
  if (lock.l_type == file_abi::kFWrlck && !f.writable()) return Err(Errno::kEBADF);
  // Keel's anonymous files (pipe2's pipes) have no inode to lock: granted.
  if (f.inode() == nullptr) return 0;
  if (ofd) {
    f.set_holds_locks();
  } else {
    files.set_holds_record_locks();
  }
  bool wait = cmd == file_abi::kFSetlkw || cmd == file_abi::kFOfdSetlkw;
  file_sys::ThreadCaller caller(self);
  OSTD_TRY(
      fs::SetRecordLock(f.inode_ref(), owner, self.process().pid(), type, range, wait, caller));
  return 0;
}

// fcntl(fd, cmd, arg): `arg` is an int, a pointer or unused, by `cmd`.
SyscallResult SysFcntl(Thread& self, int fd, uint32_t cmd_arg, uint64_t arg) {
  int cmd = static_cast<int>(cmd_arg);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFileRaw(self, fd));
  if (f->is_path() && !file_abi::FcntlAllowedOnPath(cmd)) return Err(Errno::kEBADF);
  fs::FdTable& files = self.process().files();
  switch (cmd) {
    case file_abi::kFDupfd:
    case file_abi::kFDupfdCloexec: {
      if (arg >= static_cast<uint64_t>(fs::kMaxFds)) return Err(Errno::kEINVAL);
      OSTD_TRY_ASSIGN(int nfd,
                      files.Install(f, cmd == file_abi::kFDupfdCloexec, static_cast<int>(arg)));
      return nfd;
    }
    case file_abi::kFGetfd: {
      OSTD_TRY_ASSIGN(bool cloexec, files.GetCloexec(fd));
      return cloexec ? fs::kFdCloexec : 0;
    }
    case file_abi::kFSetfd:
      OSTD_TRY(files.SetCloexec(fd, (arg & fs::kFdCloexec) != 0));
      return 0;
    case file_abi::kFGetfl:
      return f->flags();
    case file_abi::kFSetfl:
      f->SetStatusFlags(file_abi::SetflFlags(f->flags(), arg));
      return 0;
    case file_abi::kFGetlk:
    case file_abi::kFSetlk:
    case file_abi::kFSetlkw:
    case file_abi::kFOfdGetlk:
    case file_abi::kFOfdSetlk:
    case file_abi::kFOfdSetlkw:
      return FcntlLock(self, *f, cmd, arg);
    case file_abi::kFGetown:
    case file_abi::kFGetsig:
      return 0;
    case file_abi::kFSetown:
      return 0;
    case file_abi::kFSetsig:
      if (arg > 64) return Err(Errno::kEINVAL);
      return 0;
    case file_abi::kFGetlease:
      return static_cast<uint64_t>(file_abi::kFUnlck);
    case file_abi::kFGetpipeSz:
      if (!IsPipeLike(*f)) return Err(Errno::kEBADF);
      return fs::kPipeCapacity;
    case file_abi::kFSetpipeSz: {
      if (!IsPipeLike(*f)) return Err(Errno::kEBADF);
      OSTD_TRY_ASSIGN(uint64_t size,
                      file_abi::PipeSizeFor(arg, fs::kPipeCapacity,
                                            file_sys::Capable(self, Cap::kSysResource)));
      return size;
    }
    case file_abi::kFAddSeals: {
      // Linux's order: a descriptor open for writing (EPERM), known bits
      // (EINVAL; the argument is an int), then a sealable file (EINVAL).
      uint32_t seals = static_cast<uint32_t>(arg);
      if (!f->writable()) return Err(Errno::kEPERM);
      if ((seals & ~fs::kAllSeals) != 0) return Err(Errno::kEINVAL);
      if (f->inode() == nullptr) return Err(Errno::kEINVAL);
      OSTD_TRY(f->inode()->AddSeals(seals));
      return 0;
    }
    case file_abi::kFGetSeals: {
      if (f->inode() == nullptr) return Err(Errno::kEINVAL);
      OSTD_TRY_ASSIGN(uint32_t seals, f->inode()->GetSeals());
      return seals;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

SyscallResult SysPipe2(Thread& self, UserOutPtr<std::array<int32_t, 2>> pipefd, uint32_t flags) {
  // O_DIRECT (packet mode) is accepted and ignored; O_NOTIFICATION_PIPE
  // (watch queues) is not supported: EINVAL.
  if ((flags & ~(fs::kO_CLOEXEC | fs::kO_NONBLOCK | fs::kO_DIRECT)) != 0) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(fs::PipeEnds ends, fs::CreatePipe(flags & fs::kO_NONBLOCK));
  fs::FdTable& files = self.process().files();
  bool cloexec = (flags & fs::kO_CLOEXEC) != 0;
  OSTD_TRY_ASSIGN(int rfd, files.Install(ends.read, cloexec));
  ostd::Result<int> wfd = files.Install(ends.write, cloexec);
  if (!wfd) {
    (void)files.Close(rfd);
    return Err(wfd.error());
  }
  std::array<int32_t, 2> fds{rfd, *wfd};
  if (!ostd::vm::CopyToUser(pipefd, fds)) {
    (void)files.Close(rfd);
    (void)files.Close(*wfd);
    return Err(Errno::kEFAULT);
  }
  return 0;
}

SyscallResult SysPipe(Thread& self, UserOutPtr<std::array<int32_t, 2>> pipefd) {
  return SysPipe2(self, pipefd, 0);
}

// close_range(2). CLOSE_RANGE_UNSHARE first gives the process a private
// copy of a table it shares with another (Process::UnshareFiles), then
// closes (or marks) in that copy.
SyscallResult SysCloseRange(Thread& self, uint32_t first, uint32_t last, uint32_t flags) {
  using fs::FdTable;
  if ((flags & ~(FdTable::kCloseRangeUnshare | FdTable::kCloseRangeCloexec)) != 0 || first > last) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & FdTable::kCloseRangeUnshare) != 0) OSTD_TRY(self.process().UnshareFiles());
  OSTD_TRY(self.process().files().CloseRange(first, last, flags & ~FdTable::kCloseRangeUnshare));
  return 0;
}

SyscallResult SysFlock(Thread& self, int fd, uint32_t operation) {
  constexpr uint32_t kLockSh = 1, kLockEx = 2, kLockNb = 4, kLockUn = 8;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  uint32_t op = operation & ~kLockNb;
  if (op != kLockSh && op != kLockEx && op != kLockUn) return Err(Errno::kEINVAL);
  fs::FlockOp what = op == kLockSh   ? fs::FlockOp::kShared
                     : op == kLockEx ? fs::FlockOp::kExclusive
                                     : fs::FlockOp::kUnlock;
  file_sys::ThreadCaller caller(self);
  OSTD_TRY(fs::Flock(*f, what, (operation & kLockNb) != 0, caller));
  return 0;
}

// fsync/fdatasync: the mounted file system the file lives on writes back
// and flushes its disk (ext2: the whole file system); tmpfs has nothing to
// write back; files without an fsync operation on Linux (pipes, ttys,
// devices) say EINVAL.
SyscallResult SysFsync(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  fs::Inode* inode = f->inode();
  if (inode == nullptr || !(inode->is_regular() || inode->is_dir())) return Err(Errno::kEINVAL);
  if (fs::FsType* type = fs::MountedType(*inode->fs())) OSTD_TRY(type->Sync(*inode->fs()));
  return 0;
}

// sync(2) reports nothing (Linux's returns void); the disks are flushed.
SyscallResult SysSync(Thread&) {
  fs::SyncAllMounts().IgnoreError();
  return 0;
}

SyscallResult SysSyncfs(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  fs::Inode* inode = f->inode();
  if (inode == nullptr) return 0;
  if (fs::FsType* type = fs::MountedType(*inode->fs())) OSTD_TRY(type->Sync(*inode->fs()));
  return 0;
}

// fadvise64(fd, offset, len, advice): Linux takes `len` as a size_t and
// checks it as a loff_t.
SyscallResult SysFadvise64(Thread& self, int fd, int64_t, uint64_t len, int advice) {
  constexpr uint32_t kPosixFadvNoreuse = 5;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (IsPipeLike(*f)) return Err(Errno::kESPIPE);
  if (static_cast<int64_t>(len) < 0) return Err(Errno::kEINVAL);
  if (static_cast<uint32_t>(advice) > kPosixFadvNoreuse) return Err(Errno::kEINVAL);
  return 0;
}

// readahead(2): accepted for a readable regular file (Keel's caches read
// ahead by themselves); EBADF, else EINVAL, as Linux.
SyscallResult SysReadahead(Thread& self, int fd, int64_t, uint64_t) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if (!f->readable()) return Err(Errno::kEBADF);
  if (f->inode() == nullptr || !f->inode()->is_regular()) return Err(Errno::kEINVAL);
  return 0;
}

// sync_file_range(2): Linux's argument checks; any write flag makes the
// file's data durable as fdatasync does (a superset of what was asked).
SyscallResult SysSyncFileRange(Thread& self, int fd, int64_t offset, int64_t nbytes,
                               uint32_t flags) {
  constexpr uint32_t kWaitBefore = 1, kWrite = 2, kWaitAfter = 4;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  if ((flags & ~(kWaitBefore | kWrite | kWaitAfter)) != 0) return Err(Errno::kEINVAL);
  int64_t end = 0;
  if (offset < 0 || __builtin_add_overflow(offset, nbytes, &end) || end < 0) {
    return Err(Errno::kEINVAL);
  }
  fs::Inode* inode = f->inode();
  if (inode == nullptr || !(inode->is_regular() || inode->is_dir() || inode->is_symlink())) {
    return Err(Errno::kESPIPE);
  }
  if ((flags & kWrite) != 0) {
    if (fs::FsType* type = fs::MountedType(*inode->fs())) OSTD_TRY(type->Sync(*inode->fs()));
  }
  return 0;
}

SyscallResult SysFtruncate(Thread& self, int fd, int64_t length) {
  if (length < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  fs::Inode* inode = f->inode();
  if (inode == nullptr || !inode->is_regular() || !f->writable()) return Err(Errno::kEINVAL);
  file_sys::ThreadCaller caller(self);
  OSTD_TRY(fs::CheckGrowLimit(*inode, static_cast<uint64_t>(length), caller));
  OSTD_TRY(inode->Truncate(static_cast<uint64_t>(length)));
  return 0;
}

SyscallResult SysFallocate(Thread& self, int fd, int mode_arg, int64_t offset, int64_t len) {
  constexpr uint32_t kKeepSize = 0x01, kPunchHole = 0x02, kCollapse = 0x08, kZeroRange = 0x10,
                     kInsert = 0x20, kUnshare = 0x40, kSupported = 0x7f;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, fd));
  uint32_t mode = static_cast<uint32_t>(mode_arg);
  if (offset < 0 || len <= 0) return Err(Errno::kEINVAL);
  if ((mode & ~kSupported) != 0) return Err(Errno::kEOPNOTSUPP);
  if ((mode & (kPunchHole | kZeroRange)) == (kPunchHole | kZeroRange)) {
    return Err(Errno::kEOPNOTSUPP);
  }
  if ((mode & kPunchHole) != 0 && (mode & kKeepSize) == 0) return Err(Errno::kEOPNOTSUPP);
  if ((mode & kCollapse) != 0 && (mode & ~kCollapse) != 0) return Err(Errno::kEINVAL);
  if ((mode & kInsert) != 0 && (mode & ~kInsert) != 0) return Err(Errno::kEINVAL);
  if ((mode & kUnshare) != 0 && (mode & ~(kUnshare | kKeepSize)) != 0) return Err(Errno::kEINVAL);
  if (!f->writable()) return Err(Errno::kEBADF);
  if (IsPipeLike(*f)) return Err(Errno::kESPIPE);
  fs::Inode* inode = f->inode();
  if (inode != nullptr && inode->is_dir()) return Err(Errno::kEISDIR);
  if (inode == nullptr || !inode->is_regular()) return Err(Errno::kENODEV);
  int64_t end = 0;
  if (__builtin_add_overflow(offset, len, &end)) return Err(Errno::kEFBIG);
  if ((mode & kKeepSize) == 0) {
    file_sys::ThreadCaller caller(self);
    OSTD_TRY(fs::CheckGrowLimit(*inode, static_cast<uint64_t>(end), caller));
  }
  OSTD_TRY(inode->Fallocate(mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(len)));
  return 0;
}

}  // namespace

void RegisterFileFdSyscalls(SyscallTable& t) {
  t.Bind<sysno::close, SysClose>();
  t.Bind<sysno::pipe, SysPipe>();
  t.Bind<sysno::dup, SysDup>();
  t.Bind<sysno::dup2, SysDup2>();
  t.Bind<sysno::fcntl, SysFcntl>();
  t.Bind<sysno::flock, SysFlock>();
  t.Bind<sysno::fsync, SysFsync>();
  t.Bind<sysno::fdatasync, SysFsync>();
  t.Bind<sysno::ftruncate, SysFtruncate>();
  t.Bind<sysno::sync, SysSync>();
  t.Bind<sysno::fadvise64, SysFadvise64>();
  t.Bind<sysno::readahead, SysReadahead>();
  t.Bind<sysno::sync_file_range, SysSyncFileRange>();
  t.Bind<sysno::fallocate, SysFallocate>();
  t.Bind<sysno::dup3, SysDup3>();
  t.Bind<sysno::pipe2, SysPipe2>();
  t.Bind<sysno::syncfs, SysSyncfs>();
  t.Bind<sysno::close_range, SysCloseRange>();
}

void RegisterFileSyscalls(SyscallTable& t) {
  RegisterMemfdSyscalls(t);
  RegisterFileIoSyscalls(t);
  RegisterFileFdSyscalls(t);
  RegisterFilePathSyscalls(t);
  RegisterFileStatSyscalls(t);
  RegisterEventfdSyscalls(t);
  RegisterTimerfdSyscalls(t);
  RegisterEpollSyscalls(t);
  RegisterSignalfdSyscalls(t);
  RegisterPidfdSyscalls(t);
  RegisterKcmpSyscalls(t);
  RegisterProcessVmSyscalls(t);
  RegisterMountSyscalls(t);
  RegisterSetnsSyscalls(t);
  RegisterXattrSyscalls(t);
  RegisterSocketSyscalls(t);
  RegisterSpliceSyscalls(t);
}

}  // namespace kernel
