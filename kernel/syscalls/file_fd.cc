// Descriptor management: close, dup*, fcntl, pipes, close_range, and the
// per-descriptor calls that only check the descriptor (flock, fsync,
// fadvise64) or change the file's size (ftruncate, fallocate).
//
// Record locks (F_GETLK/F_SETLK/F_SETLKW and the OFD variants) and flock are
// accepted but not tracked: every lock request succeeds and F_GETLK reports
// F_UNLCK. Keel runs one machine-wide set of processes with no lock
// manager yet, so programs that lock files for mutual exclusion between
// processes get none.
#include <array>
#include <cstdint>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/pipe.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::FdArg;
using file_sys::GetFile;
using file_sys::GetFileRaw;
using file_sys::UintArg;
using fs::File;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserPtr;

bool IsPipe(const File& f) {
  return !f.seekable() && (f.inode() == nullptr || f.inode()->type() == fs::InodeType::kFifo);
}

SyscallResult SysClose(Thread& self, const SyscallArgs& a) {
  OSTD_TRY(self.process().files().Close(FdArg(a[0])));
  return 0;
}

SyscallResult SysDup(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup(FdArg(a[0])));
  return fd;
}

SyscallResult SysDup2(Thread& self, const SyscallArgs& a) {
  int oldfd = FdArg(a[0]);
  int newfd = FdArg(a[1]);
  if (oldfd == newfd) {
    OSTD_TRY(GetFileRaw(self, oldfd));
    return newfd;
  }
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup3(oldfd, newfd, false));
  return fd;
}

SyscallResult SysDup3(Thread& self, const SyscallArgs& a) {
  int oldfd = FdArg(a[0]);
  int newfd = FdArg(a[1]);
  uint32_t flags = UintArg(a[2]);
  if ((flags & ~fs::kO_CLOEXEC) != 0) return Err(Errno::kEINVAL);
  if (oldfd == newfd) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int fd, self.process().files().Dup3(oldfd, newfd, flags != 0));
  return fd;
}

SyscallResult FcntlLock(File& f, int cmd, uint64_t arg) {
  using file_abi::Flock;
  bool ofd =
      cmd == file_abi::kFOfdGetlk || cmd == file_abi::kFOfdSetlk || cmd == file_abi::kFOfdSetlkw;
  OSTD_TRY_ASSIGN(Flock lock, ostd::vm::CopyFromUser(UserPtr<Flock>(arg)));
  OSTD_TRY(file_abi::CheckFlock(lock, ofd));
  if (cmd == file_abi::kFGetlk || cmd == file_abi::kFOfdGetlk) {
    if (lock.l_type == file_abi::kFUnlck) return Err(Errno::kEINVAL);
    lock.l_type = file_abi::kFUnlck;
    OSTD_TRY(ostd::vm::CopyToUser(UserPtr<Flock>(arg), lock));
    return 0;
  }
  if (lock.l_type == file_abi::kFRdlck && !f.readable()) return Err(Errno::kEBADF);
  if (lock.l_type == file_abi::kFWrlck && !f.writable()) return Err(Errno::kEBADF);
  return 0;  // granted (not tracked: see the file comment)
}

SyscallResult SysFcntl(Thread& self, const SyscallArgs& a) {
  int fd = FdArg(a[0]);
  int cmd = file_sys::IntArg(a[1]);
  uint64_t arg = a[2];
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
      return FcntlLock(*f, cmd, arg);
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
      if (!IsPipe(*f)) return Err(Errno::kEBADF);
      return fs::kPipeCapacity;
    case file_abi::kFSetpipeSz: {
      if (!IsPipe(*f)) return Err(Errno::kEBADF);
      OSTD_TRY_ASSIGN(uint64_t size,
                      file_abi::PipeSizeFor(arg, fs::kPipeCapacity, file_sys::Privileged(self)));
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

SyscallResult SysPipe2(Thread& self, const SyscallArgs& a) {
  // O_DIRECT (packet mode) is accepted and ignored; O_NOTIFICATION_PIPE
  // (watch queues) is not supported: EINVAL.
  uint32_t flags = UintArg(a[1]);
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
  if (!ostd::vm::CopyToUser(UserPtr<std::array<int32_t, 2>>(a[0]), fds)) {
    (void)files.Close(rfd);
    (void)files.Close(*wfd);
    return Err(Errno::kEFAULT);
  }
  return 0;
}

SyscallResult SysPipe(Thread& self, const SyscallArgs& a) {
  SyscallArgs b = a;
  b.regs[1] = 0;
  return SysPipe2(self, b);
}

SyscallResult SysCloseRange(Thread& self, const SyscallArgs& a) {
  OSTD_TRY(self.process().files().CloseRange(UintArg(a[0]), UintArg(a[1]), UintArg(a[2])));
  return 0;
}

SyscallResult SysFlock(Thread& self, const SyscallArgs& a) {
  constexpr uint32_t kLockSh = 1, kLockEx = 2, kLockNb = 4, kLockUn = 8;
  OSTD_TRY(GetFile(self, FdArg(a[0])));
  uint32_t op = UintArg(a[1]) & ~kLockNb;
  if (op != kLockSh && op != kLockEx && op != kLockUn) return Err(Errno::kEINVAL);
  return 0;  // granted (not tracked: see the file comment)
}

// fsync/fdatasync: tmpfs has nothing to write back; files without an fsync
// operation on Linux (pipes, ttys, devices) say EINVAL.
SyscallResult SysFsync(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, FdArg(a[0])));
  fs::Inode* inode = f->inode();
  if (inode == nullptr || !(inode->is_regular() || inode->is_dir())) return Err(Errno::kEINVAL);
  return 0;
}

SyscallResult SysSync(Thread&, const SyscallArgs&) { return 0; }

SyscallResult SysSyncfs(Thread& self, const SyscallArgs& a) {
  OSTD_TRY(GetFile(self, FdArg(a[0])));
  return 0;
}

SyscallResult SysFadvise64(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kPosixFadvNoreuse = 5;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, FdArg(a[0])));
  if (IsPipe(*f)) return Err(Errno::kESPIPE);
  if (static_cast<int64_t>(a[2]) < 0) return Err(Errno::kEINVAL);
  if (UintArg(a[3]) > kPosixFadvNoreuse) return Err(Errno::kEINVAL);
  return 0;
}

SyscallResult SysFtruncate(Thread& self, const SyscallArgs& a) {
  int64_t length = static_cast<int64_t>(a[1]);
  if (length < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, FdArg(a[0])));
  fs::Inode* inode = f->inode();
  if (inode == nullptr || !inode->is_regular() || !f->writable()) return Err(Errno::kEINVAL);
  OSTD_TRY(inode->Truncate(static_cast<uint64_t>(length)));
  return 0;
}

SyscallResult SysFallocate(Thread& self, const SyscallArgs& a) {
  constexpr uint32_t kKeepSize = 0x01, kPunchHole = 0x02, kCollapse = 0x08, kZeroRange = 0x10,
                     kInsert = 0x20, kUnshare = 0x40, kSupported = 0x7f;
  OSTD_TRY_ASSIGN(RefPtr<File> f, GetFile(self, FdArg(a[0])));
  uint32_t mode = UintArg(a[1]);
  int64_t offset = static_cast<int64_t>(a[2]);
  int64_t len = static_cast<int64_t>(a[3]);
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
  if (IsPipe(*f)) return Err(Errno::kESPIPE);
  fs::Inode* inode = f->inode();
  if (inode != nullptr && inode->is_dir()) return Err(Errno::kEISDIR);
  if (inode == nullptr || !inode->is_regular()) return Err(Errno::kENODEV);
  int64_t end = 0;
  if (__builtin_add_overflow(offset, len, &end)) return Err(Errno::kEFBIG);
  OSTD_TRY(inode->Fallocate(mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(len)));
  return 0;
}

}  // namespace

void RegisterFileFdSyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::close, SysClose>();
  t.BindUntyped<sysno::pipe, SysPipe>();
  t.BindUntyped<sysno::dup, SysDup>();
  t.BindUntyped<sysno::dup2, SysDup2>();
  t.BindUntyped<sysno::fcntl, SysFcntl>();
  t.BindUntyped<sysno::flock, SysFlock>();
  t.BindUntyped<sysno::fsync, SysFsync>();
  t.BindUntyped<sysno::fdatasync, SysFsync>();
  t.BindUntyped<sysno::ftruncate, SysFtruncate>();
  t.BindUntyped<sysno::sync, SysSync>();
  t.BindUntyped<sysno::fadvise64, SysFadvise64>();
  t.BindUntyped<sysno::fallocate, SysFallocate>();
  t.BindUntyped<sysno::dup3, SysDup3>();
  t.BindUntyped<sysno::pipe2, SysPipe2>();
  t.BindUntyped<sysno::syncfs, SysSyncfs>();
  t.BindUntyped<sysno::close_range, SysCloseRange>();
}

void RegisterFileSyscalls(SyscallTable& t) {
  RegisterMemfdSyscalls(t);
  RegisterFileIoSyscalls(t);
  RegisterFileFdSyscalls(t);
  RegisterFilePathSyscalls(t);
  RegisterFileStatSyscalls(t);
}

}  // namespace kernel
