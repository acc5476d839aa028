// Calls that name files by path: open/openat/creat, directory entries
// (mkdir, mknod, unlink, rmdir, rename, link, symlink, readlink) and the
// current and root directories (chdir, fchdir, getcwd, chroot), umask.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/path.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/copy_struct.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/fmt.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::ActorOf;
using file_sys::AtStart;
using file_sys::UserPath;
using fs::File;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

using UserString = UserInPtr<const char>;

constexpr int kAtFdCwd = fs::kAtFdCwd;

// --- open ---

SyscallResult OpenAt(int dirfd, UserString upath, uint32_t flags, uint32_t mode, uint64_t resolve,
                     Thread& self) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  // A scoped walk (RESOLVE_BENEATH, RESOLVE_IN_ROOT) starts at `dirfd` even
  // for an absolute path.
  bool scoped = (resolve & (fs::kResolveBeneath | fs::kResolveInRoot)) != 0;
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, scoped ? "." : path.view()));
  file_sys::ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(RefPtr<File> file,
                  fs::OpenPath(self.process().fs(), std::move(start), path.view(), flags,
                               mode & fs::kPermMask, ActorOf(self), caller, resolve));
  OSTD_TRY_ASSIGN(int fd,
                  self.process().files().Install(std::move(file), (flags & fs::kO_CLOEXEC) != 0));
  return fd;
}

}  // namespace

// Linux's do_sys_openat2 (what its kprobe alias names, kernel/tracing/
// linux_symbols.h): dfd in %di, the user's path in %si and, as in Linux
// before 5.6's struct open_how, the flags (O_LARGEFILE already added) in %dx
// and the mode in %cx; openat2's RESOLVE_* flags in %r8.
[[gnu::noinline]] int64_t file_sys::DoSysOpenat2(int dirfd, UserString upath, uint32_t flags,
                                                 uint32_t mode, uint64_t resolve, Thread& self) {
  return ToLinuxReturn(OpenAt(dirfd, upath, flags, mode, resolve, self));
}

namespace {

SyscallResult DoOpen(Thread& self, int dirfd, UserString upath, uint32_t flags, uint32_t mode) {
  flags |= fs::kO_LARGEFILE;  // always on 64-bit Linux
  return file_sys::FromLinuxReturn(file_sys::DoSysOpenat2(dirfd, upath, flags, mode, 0, self));
}

// struct open_how (OPEN_HOW_SIZE_VER0).
struct OpenHow {
  uint64_t flags, mode, resolve;
  OSTD_POD(OpenHow, flags, mode, resolve);
};

// openat2(2): build_open_how and build_open_flags's checks, in their
// order: EINVAL for a size below OPEN_HOW_SIZE_VER0, E2BIG above a page or
// for nonzero bytes past the structure Keel knows; EINVAL for unknown open
// or resolve flags, RESOLVE_BENEATH with RESOLVE_IN_ROOT, a mode without
// O_CREAT or O_TMPFILE (or with bits beyond 07777), O_TMPFILE without
// write access, and O_PATH with flags it does not take; EAGAIN for
// RESOLVE_CACHED with O_CREAT, O_TRUNC or O_TMPFILE. Unlike open(2), the
// flags are not trimmed.
SyscallResult SysOpenat2(Thread& self, int dirfd, UserString upath, UserInPtr<OpenHow> uhow,
                         size_t size) {
  constexpr size_t kOpenHowSizeVer0 = 24;
  constexpr uint64_t kValidOpenFlags =
      fs::kO_ACCMODE | fs::kO_CREAT | fs::kO_EXCL | fs::kO_NOCTTY | fs::kO_TRUNC | fs::kO_APPEND |
      fs::kO_NONBLOCK | fs::kO_SYNC | fs::kO_DSYNC | fs::kO_ASYNC | fs::kO_DIRECT |
      fs::kO_LARGEFILE | fs::kO_DIRECTORY | fs::kO_NOFOLLOW | fs::kO_NOATIME | fs::kO_CLOEXEC |
      fs::kO_PATH | fs::kO_TMPFILE;
  constexpr uint64_t kValidResolve = fs::kResolveNoXdev | fs::kResolveNoMagiclinks |
                                     fs::kResolveNoSymlinks | fs::kResolveBeneath |
                                     fs::kResolveInRoot | fs::kResolveCached;
  constexpr uint64_t kPathFlags = fs::kO_DIRECTORY | fs::kO_NOFOLLOW | fs::kO_PATH | fs::kO_CLOEXEC;
  if (size < kOpenHowSizeVer0) return Err(Errno::kEINVAL);
  if (size > 4096) return Err(Errno::kE2BIG);
  OSTD_TRY_ASSIGN(OpenHow how, CopyStructFromUser<OpenHow>(uhow, size));
  uint64_t flags = how.flags & ~uint64_t{fs::kO_CLOEXEC};
  if ((flags & ~kValidOpenFlags) != 0 || (how.resolve & ~kValidResolve) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((how.resolve & fs::kResolveBeneath) != 0 && (how.resolve & fs::kResolveInRoot) != 0) {
    return Err(Errno::kEINVAL);
  }
  constexpr uint64_t kTmpfileBit = fs::kO_TMPFILE & ~uint64_t{fs::kO_DIRECTORY};
  bool will_create = (flags & (fs::kO_CREAT | kTmpfileBit)) != 0;
  if (will_create ? (how.mode & ~uint64_t{07777}) != 0 : how.mode != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & kTmpfileBit) != 0) {
    if ((flags & fs::kO_DIRECTORY) == 0) return Err(Errno::kEINVAL);
    if ((flags & fs::kO_ACCMODE) == fs::kO_RDONLY) return Err(Errno::kEINVAL);
  }
  if ((flags & fs::kO_PATH) != 0 && (flags & ~kPathFlags) != 0) return Err(Errno::kEINVAL);
  if ((how.resolve & fs::kResolveCached) != 0 &&
      (flags & (fs::kO_TRUNC | fs::kO_CREAT | kTmpfileBit)) != 0) {
    return Err(Errno::kEAGAIN);
  }
  uint32_t open_flags = static_cast<uint32_t>(how.flags) | fs::kO_LARGEFILE;
  return file_sys::FromLinuxReturn(file_sys::DoSysOpenat2(
      dirfd, upath, open_flags, static_cast<uint32_t>(how.mode), how.resolve, self));
}

SyscallResult SysOpen(Thread& self, UserString path, uint32_t flags, uint32_t mode) {
  return DoOpen(self, kAtFdCwd, path, flags, mode);
}
SyscallResult SysOpenat(Thread& self, int dirfd, UserString path, uint32_t flags, uint32_t mode) {
  return DoOpen(self, dirfd, path, flags, mode);
}
SyscallResult SysCreat(Thread& self, UserString path, uint32_t mode) {
  return DoOpen(self, kAtFdCwd, path, fs::kO_CREAT | fs::kO_WRONLY | fs::kO_TRUNC, mode);
}

// --- Directory entries ---

SyscallResult DoMkdir(Thread& self, int dirfd, UserString upath, uint32_t mode) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  OSTD_TRY(fs::MkdirAt(self.process().fs(), std::move(start), path.view(), mode, ActorOf(self)));
  return 0;
}
SyscallResult SysMkdir(Thread& self, UserString path, uint32_t mode) {
  return DoMkdir(self, kAtFdCwd, path, mode);
}
SyscallResult SysMkdirat(Thread& self, int dirfd, UserString path, uint32_t mode) {
  return DoMkdir(self, dirfd, path, mode);
}

SyscallResult DoMknod(Thread& self, int dirfd, UserString upath, uint32_t mode, uint32_t dev) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  switch (mode & fs::kS_IFMT) {
    case 0:
    case fs::kS_IFREG:
    case fs::kS_IFIFO:
    case fs::kS_IFSOCK:
      break;
    case fs::kS_IFCHR:
    case fs::kS_IFBLK:
      if (!file_sys::Capable(self, Cap::kMknod)) return Err(Errno::kEPERM);
      break;
    case fs::kS_IFDIR:
      return Err(Errno::kEPERM);
    default:
      return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  // Linux's new_decode_dev: the 32-bit dev_t of mknod.
  uint32_t d = dev;
  uint64_t rdev = fs::MakeDev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
  OSTD_TRY(
      fs::MknodAt(self.process().fs(), std::move(start), path.view(), mode, rdev, ActorOf(self)));
  return 0;
}
SyscallResult SysMknod(Thread& self, UserString path, uint32_t mode, uint32_t dev) {
  return DoMknod(self, kAtFdCwd, path, mode, dev);
}
SyscallResult SysMknodat(Thread& self, int dirfd, UserString path, uint32_t mode, uint32_t dev) {
  return DoMknod(self, dirfd, path, mode, dev);
}

SyscallResult DoUnlink(Thread& self, int dirfd, UserString upath, uint32_t flags) {
  if ((flags & ~fs::kAtRemoveDir) != 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  OSTD_TRY(file_sys::CheckParentWritable(self, start, path.view(), true));
  OSTD_TRY(fs::UnlinkAt(self.process().fs(), std::move(start), path.view(),
                        (flags & fs::kAtRemoveDir) != 0));
  return 0;
}
SyscallResult SysUnlink(Thread& self, UserString path) { return DoUnlink(self, kAtFdCwd, path, 0); }
SyscallResult SysRmdir(Thread& self, UserString path) {
  return DoUnlink(self, kAtFdCwd, path, fs::kAtRemoveDir);
}
SyscallResult SysUnlinkat(Thread& self, int dirfd, UserString path, uint32_t flags) {
  return DoUnlink(self, dirfd, path, flags);
}

SyscallResult DoRename(Thread& self, int olddfd, UserString old_path, int newdfd,
                       UserString new_path, uint32_t flags) {
  UserPath from;
  OSTD_TRY(from.Copy(old_path));
  UserPath to;
  OSTD_TRY(to.Copy(new_path));
  if ((flags & ~(fs::kRenameNoreplace | fs::kRenameExchange | fs::kRenameWhiteout)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & (fs::kRenameNoreplace | fs::kRenameWhiteout)) != 0 &&
      (flags & fs::kRenameExchange) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & fs::kRenameWhiteout) != 0 && !file_sys::Capable(self, Cap::kMknod)) {
    return Err(Errno::kEPERM);
  }
  OSTD_TRY_ASSIGN(RefPtr<Inode> old_start, AtStart(self, olddfd, from.view()));
  OSTD_TRY_ASSIGN(RefPtr<Inode> new_start, AtStart(self, newdfd, to.view()));
  OSTD_TRY(file_sys::CheckParentWritable(self, old_start, from.view(), true));
  OSTD_TRY(file_sys::CheckParentWritable(self, new_start, to.view(), true));
  OSTD_TRY(fs::RenameAt(self.process().fs(), std::move(old_start), from.view(),
                        std::move(new_start), to.view(), flags));
  return 0;
}
SyscallResult SysRename(Thread& self, UserString old_path, UserString new_path) {
  return DoRename(self, kAtFdCwd, old_path, kAtFdCwd, new_path, 0);
}
SyscallResult SysRenameat(Thread& self, int olddfd, UserString old_path, int newdfd,
                          UserString new_path) {
  return DoRename(self, olddfd, old_path, newdfd, new_path, 0);
}
SyscallResult SysRenameat2(Thread& self, int olddfd, UserString old_path, int newdfd,
                           UserString new_path, uint32_t flags) {
  return DoRename(self, olddfd, old_path, newdfd, new_path, flags);
}

// link(2) to the object open at `dirfd` (linkat with AT_EMPTY_PATH).
ostd::Status LinkInode(Thread& self, const RefPtr<Inode>& target, RefPtr<Inode> new_start,
                       std::string_view new_path) {
  if (target->is_dir()) return Err(Errno::kEPERM);
  // A file without links stays so, but for an O_TMPFILE file opened
  // without O_EXCL.
  if (target->nlink() == 0 && !target->linkable_tmpfile()) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(fs::ParentAndName pn,
                  fs::ResolveParent(self.process().fs(), std::move(new_start), new_path));
  std::string_view name = pn.name.view();
  if (name == "." || name == "..") return Err(Errno::kEEXIST);
  if (pn.trailing_slash) {
    return pn.dir->Lookup(name) ? Err(Errno::kEEXIST) : Err(Errno::kENOENT);
  }
  return pn.dir->Link(name, target);
}

SyscallResult DoLink(Thread& self, int olddfd, UserString old_path, int newdfd, UserString new_path,
                     uint32_t flags) {
  bool empty_ok = (flags & fs::kAtEmptyPath) != 0;
  UserPath from;
  OSTD_TRY(from.Copy(old_path, empty_ok));
  UserPath to;
  OSTD_TRY(to.Copy(new_path));
  if ((flags & ~(fs::kAtSymlinkFollow | fs::kAtEmptyPath)) != 0) return Err(Errno::kEINVAL);
  // Linking an open file by descriptor needs CAP_DAC_READ_SEARCH.
  if (empty_ok && !file_sys::Capable(self, Cap::kDacReadSearch)) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(RefPtr<Inode> new_start, AtStart(self, newdfd, to.view()));
  OSTD_TRY(file_sys::CheckParentWritable(self, new_start, to.view(), false));
  if (from.empty()) {
    OSTD_TRY_ASSIGN(RefPtr<Inode> target, file_sys::ResolveAt(self, olddfd, from.view(), false));
    OSTD_TRY(LinkInode(self, target, std::move(new_start), to.view()));
    return 0;
  }
  OSTD_TRY_ASSIGN(RefPtr<Inode> old_start, AtStart(self, olddfd, from.view()));
  OSTD_TRY(fs::LinkAt(self.process().fs(), std::move(old_start), from.view(), std::move(new_start),
                      to.view(), (flags & fs::kAtSymlinkFollow) != 0));
  return 0;
}
SyscallResult SysLink(Thread& self, UserString old_path, UserString new_path) {
  return DoLink(self, kAtFdCwd, old_path, kAtFdCwd, new_path, 0);
}
SyscallResult SysLinkat(Thread& self, int olddfd, UserString old_path, int newdfd,
                        UserString new_path, uint32_t flags) {
  return DoLink(self, olddfd, old_path, newdfd, new_path, flags);
}

SyscallResult SysSymlinkat(Thread& self, UserString utarget, int newdfd, UserString upath) {
  UserPath target;
  OSTD_TRY(target.Copy(utarget));
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, newdfd, path.view()));
  OSTD_TRY(fs::SymlinkAt(target.view(), self.process().fs(), std::move(start), path.view(),
                         ActorOf(self)));
  return 0;
}
SyscallResult SysSymlink(Thread& self, UserString target, UserString path) {
  return SysSymlinkat(self, target, kAtFdCwd, path);
}

// readlinkat(dirfd, path, buf, bufsiz): bufsiz is an int.
// execveat(dirfd, path, argv, envp, flags): execve of `path` relative to
// `dirfd`, or of the file open at `dirfd` itself with AT_EMPTY_PATH (fexecve).
// As on Linux the program is named "/dev/fd/N/path" (or "/dev/fd/N"): that is
// what AT_EXECFN, the process name and a script's interpreter see, and Keel's
// /dev/fd leads back to the descriptor. AT_SYMLINK_NOFOLLOW refuses a final
// symlink with ELOOP. (Linux refuses a script through a close-on-exec
// descriptor with ENOENT, since its interpreter could not open it; Keel lets
// the interpreter fail instead.)
SyscallResult SysExecveat(Thread& self, int dirfd, UserString upath, UserInPtr<uint64_t> argv,
                          UserInPtr<uint64_t> envp, int flags_arg) {
  uint32_t flags = static_cast<uint32_t>(flags_arg);
  // The path first (getname_uflags), then the flags (do_open_execat).
  UserPath path;
  OSTD_TRY(path.Copy(upath, (flags & fs::kAtEmptyPath) != 0));
  if ((flags & ~(fs::kAtEmptyPath | fs::kAtSymlinkNofollow)) != 0) return Err(Errno::kEINVAL);
  std::string_view p = path.view();
  ostd::Vec<char> name;
  if (!p.empty() && (p[0] == '/' || dirfd == kAtFdCwd)) {
    for (char c : p) OSTD_TRY(name.Push(c));
  } else {
    // The descriptor must hold a directory for a relative path, anything
    // for an empty one (EBADF, ENOTDIR).
    OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFileRaw(self, dirfd));
    if (!p.empty() && (f->inode() == nullptr || !f->inode()->is_dir())) {
      return Err(Errno::kENOTDIR);
    }
    std::array<char, 32> buf{};
    ostd::BufferSink prefix(buf);
    ostd::FormatTo(prefix, "/dev/fd/{}", dirfd);
    for (char c : prefix.view()) OSTD_TRY(name.Push(c));
    if (!p.empty()) {
      OSTD_TRY(name.Push('/'));
      for (char c : p) OSTD_TRY(name.Push(c));
    }
  }
  std::string_view target(name.span());
  if ((flags & fs::kAtSymlinkNofollow) != 0) {
    fs::Actor actor = ActorOf(self);
    OSTD_TRY_ASSIGN(RefPtr<Inode> node,
                    fs::ResolvePath(self.process().fs(), self.process().fs().cwd(), target,
                                    /*follow=*/false, &actor));
    if (node->type() == fs::InodeType::kSymlink) return Err(Errno::kELOOP);
  }
  return DoExecve(self, target, argv, envp);
}

SyscallResult SysReadlinkat(Thread& self, int dirfd, UserString upath, UserOutPtr<char> buf,
                            int size) {
  if (size <= 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(upath, true));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(), false));
  if (!inode->is_symlink()) return Err(path.empty() ? Errno::kENOENT : Errno::kEINVAL);
  ostd::Vec<char> target;
  OSTD_TRY(target.Resize(std::min<size_t>(static_cast<size_t>(size), fs::kPathMax)));
  OSTD_TRY_ASSIGN(size_t n, inode->ReadLink(target.span()));
  inode->TouchAccess();
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(buf, n));
  for (size_t i = 0; i < n; ++i) {
    OSTD_TRY(w.WriteVal(static_cast<uint8_t>(target[i])));
  }
  return n;
}
SyscallResult SysReadlink(Thread& self, UserString path, UserOutPtr<char> buf, int size) {
  return SysReadlinkat(self, kAtFdCwd, path, buf, size);
}

// --- Current directory ---

ostd::Status EnterDir(Thread& self, RefPtr<Inode> dir) {
  if (!dir->is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY(fs::CheckAccess(*dir, 1, ActorOf(self)));
  self.process().fs().set_cwd(std::move(dir));
  return {};
}

SyscallResult SysChdir(Thread& self, UserString upath) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, file_sys::ResolveAt(self, kAtFdCwd, path.view(), true));
  OSTD_TRY(EnterDir(self, std::move(dir)));
  return 0;
}

SyscallResult SysFchdir(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFileRaw(self, fd));
  if (f->inode() == nullptr) return Err(Errno::kENOTDIR);
  OSTD_TRY(EnterDir(self, f->inode_ref()));
  return 0;
}

// chroot(path): the directory (ENOTDIR, ENOENT, ...) needs search permission
// (EACCES) before the privilege (CAP_SYS_CHROOT: EPERM) is checked, as on
// Linux. Path walks of the process then start at it and ".." stops there;
// the working directory stays where it is.
SyscallResult SysChroot(Thread& self, UserString upath) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, file_sys::ResolveAt(self, kAtFdCwd, path.view(), true));
  if (!dir->is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY(fs::CheckAccess(*dir, 1, ActorOf(self)));
  if (!self.process().creds().Capable(Cap::kSysChroot)) return Err(Errno::kEPERM);
  self.process().fs().set_root(std::move(dir));
  return 0;
}

SyscallResult SysGetcwd(Thread& self, UserOutPtr<char> ubuf, uint64_t size) {
  ostd::Vec<char> buf;
  OSTD_TRY(buf.Resize(fs::kPathMax));
  fs::FsContext& ctx = self.process().fs();
  OSTD_TRY_ASSIGN(size_t start, fs::PathOf(ctx, ctx.cwd(), buf.span()));
  size_t len = buf.size() - start;
  if (len + 1 > size) return Err(Errno::kERANGE);
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(ubuf, len + 1));
  for (size_t i = start; i < buf.size(); ++i) OSTD_TRY(w.WriteVal(static_cast<uint8_t>(buf[i])));
  OSTD_TRY(w.WriteVal(uint8_t{0}));
  return len + 1;
}

SyscallResult SysUmask(Thread& self, uint32_t mask) {
  return self.process().fs().SetUmask(mask & 0777);
}

}  // namespace

void RegisterFilePathSyscalls(SyscallTable& t) {
  t.Bind<sysno::open, SysOpen>();
  t.Bind<sysno::getcwd, SysGetcwd>();
  t.Bind<sysno::chdir, SysChdir>();
  t.Bind<sysno::fchdir, SysFchdir>();
  t.Bind<sysno::chroot, SysChroot>();
  t.Bind<sysno::rename, SysRename>();
  t.Bind<sysno::mkdir, SysMkdir>();
  t.Bind<sysno::rmdir, SysRmdir>();
  t.Bind<sysno::creat, SysCreat>();
  t.Bind<sysno::link, SysLink>();
  t.Bind<sysno::unlink, SysUnlink>();
  t.Bind<sysno::symlink, SysSymlink>();
  t.Bind<sysno::readlink, SysReadlink>();
  t.Bind<sysno::umask, SysUmask>();
  t.Bind<sysno::mknod, SysMknod>();
  t.Bind<sysno::openat, SysOpenat>();
  t.Bind<sysno::openat2, SysOpenat2>();
  t.Bind<sysno::mkdirat, SysMkdirat>();
  t.Bind<sysno::mknodat, SysMknodat>();
  t.Bind<sysno::unlinkat, SysUnlinkat>();
  t.Bind<sysno::renameat, SysRenameat>();
  t.Bind<sysno::linkat, SysLinkat>();
  t.Bind<sysno::symlinkat, SysSymlinkat>();
  t.Bind<sysno::readlinkat, SysReadlinkat>();
  t.Bind<sysno::execveat, SysExecveat>();
  t.Bind<sysno::renameat2, SysRenameat2>();
}

}  // namespace kernel
