// Calls that name files by path: open/openat/creat, directory entries
// (mkdir, mknod, unlink, rmdir, rename, link, symlink, readlink) and the
// current directory (chdir, fchdir, getcwd), umask.
#include <algorithm>
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
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_sys::ActorOf;
using file_sys::AtStart;
using file_sys::FdArg;
using file_sys::UintArg;
using file_sys::UserPath;
using fs::File;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserPtr;

constexpr int kAtFdCwd = fs::kAtFdCwd;

// --- open ---

SyscallResult DoOpen(Thread& self, int dirfd, uint64_t path_addr, uint32_t flags, uint32_t mode) {
  UserPath path;
  OSTD_TRY(path.Copy(path_addr));
  OSTD_TRY(file_sys::CheckFreeFd(self));
  flags |= fs::kO_LARGEFILE;  // always on 64-bit Linux
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  file_sys::ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(RefPtr<File> file,
                  fs::OpenPath(self.process().fs(), std::move(start), path.view(), flags,
                               mode & fs::kPermMask, ActorOf(self), caller));
  OSTD_TRY_ASSIGN(int fd,
                  self.process().files().Install(std::move(file), (flags & fs::kO_CLOEXEC) != 0));
  return fd;
}

SyscallResult SysOpen(Thread& self, const SyscallArgs& a) {
  return DoOpen(self, kAtFdCwd, a[0], UintArg(a[1]), UintArg(a[2]));
}
SyscallResult SysOpenat(Thread& self, const SyscallArgs& a) {
  return DoOpen(self, FdArg(a[0]), a[1], UintArg(a[2]), UintArg(a[3]));
}
SyscallResult SysCreat(Thread& self, const SyscallArgs& a) {
  return DoOpen(self, kAtFdCwd, a[0], fs::kO_CREAT | fs::kO_WRONLY | fs::kO_TRUNC, UintArg(a[1]));
}

// --- Directory entries ---

SyscallResult DoMkdir(Thread& self, int dirfd, uint64_t path_addr, uint32_t mode) {
  UserPath path;
  OSTD_TRY(path.Copy(path_addr));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  OSTD_TRY(fs::MkdirAt(self.process().fs(), std::move(start), path.view(), mode, ActorOf(self)));
  return 0;
}
SyscallResult SysMkdir(Thread& self, const SyscallArgs& a) {
  return DoMkdir(self, kAtFdCwd, a[0], UintArg(a[1]));
}
SyscallResult SysMkdirat(Thread& self, const SyscallArgs& a) {
  return DoMkdir(self, FdArg(a[0]), a[1], UintArg(a[2]));
}

SyscallResult DoMknod(Thread& self, int dirfd, uint64_t path_addr, uint32_t mode, uint64_t dev) {
  UserPath path;
  OSTD_TRY(path.Copy(path_addr));
  switch (mode & fs::kS_IFMT) {
    case 0:
    case fs::kS_IFREG:
    case fs::kS_IFIFO:
    case fs::kS_IFSOCK:
      break;
    case fs::kS_IFCHR:
    case fs::kS_IFBLK:
      if (!file_sys::Privileged(self)) return Err(Errno::kEPERM);
      break;
    case fs::kS_IFDIR:
      return Err(Errno::kEPERM);
    default:
      return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  // Linux's new_decode_dev: the 32-bit dev_t of mknod.
  uint32_t d = static_cast<uint32_t>(dev);
  uint64_t rdev = fs::MakeDev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
  OSTD_TRY(
      fs::MknodAt(self.process().fs(), std::move(start), path.view(), mode, rdev, ActorOf(self)));
  return 0;
}
SyscallResult SysMknod(Thread& self, const SyscallArgs& a) {
  return DoMknod(self, kAtFdCwd, a[0], UintArg(a[1]), a[2]);
}
SyscallResult SysMknodat(Thread& self, const SyscallArgs& a) {
  return DoMknod(self, FdArg(a[0]), a[1], UintArg(a[2]), a[3]);
}

SyscallResult DoUnlink(Thread& self, int dirfd, uint64_t path_addr, uint32_t flags) {
  if ((flags & ~fs::kAtRemoveDir) != 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(path_addr));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, dirfd, path.view()));
  OSTD_TRY(file_sys::CheckParentWritable(self, start, path.view(), true));
  OSTD_TRY(fs::UnlinkAt(self.process().fs(), std::move(start), path.view(),
                        (flags & fs::kAtRemoveDir) != 0));
  return 0;
}
SyscallResult SysUnlink(Thread& self, const SyscallArgs& a) {
  return DoUnlink(self, kAtFdCwd, a[0], 0);
}
SyscallResult SysRmdir(Thread& self, const SyscallArgs& a) {
  return DoUnlink(self, kAtFdCwd, a[0], fs::kAtRemoveDir);
}
SyscallResult SysUnlinkat(Thread& self, const SyscallArgs& a) {
  return DoUnlink(self, FdArg(a[0]), a[1], UintArg(a[2]));
}

SyscallResult DoRename(Thread& self, int olddfd, uint64_t old_addr, int newdfd, uint64_t new_addr,
                       uint32_t flags) {
  UserPath from;
  OSTD_TRY(from.Copy(old_addr));
  UserPath to;
  OSTD_TRY(to.Copy(new_addr));
  if ((flags & ~(fs::kRenameNoreplace | fs::kRenameExchange | fs::kRenameWhiteout)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & (fs::kRenameNoreplace | fs::kRenameWhiteout)) != 0 &&
      (flags & fs::kRenameExchange) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & fs::kRenameWhiteout) != 0 && !file_sys::Privileged(self)) {
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
SyscallResult SysRename(Thread& self, const SyscallArgs& a) {
  return DoRename(self, kAtFdCwd, a[0], kAtFdCwd, a[1], 0);
}
SyscallResult SysRenameat(Thread& self, const SyscallArgs& a) {
  return DoRename(self, FdArg(a[0]), a[1], FdArg(a[2]), a[3], 0);
}
SyscallResult SysRenameat2(Thread& self, const SyscallArgs& a) {
  return DoRename(self, FdArg(a[0]), a[1], FdArg(a[2]), a[3], UintArg(a[4]));
}

// link(2) to the object open at `dirfd` (linkat with AT_EMPTY_PATH).
ostd::Status LinkInode(Thread& self, const RefPtr<Inode>& target, RefPtr<Inode> new_start,
                       std::string_view new_path) {
  if (target->is_dir()) return Err(Errno::kEPERM);
  if (target->nlink() == 0) return Err(Errno::kENOENT);
  OSTD_TRY_ASSIGN(fs::ParentAndName pn,
                  fs::ResolveParent(self.process().fs(), std::move(new_start), new_path));
  std::string_view name = pn.name.view();
  if (name == "." || name == "..") return Err(Errno::kEEXIST);
  if (pn.trailing_slash) {
    return pn.dir->Lookup(name) ? Err(Errno::kEEXIST) : Err(Errno::kENOENT);
  }
  return pn.dir->Link(name, target);
}

SyscallResult DoLink(Thread& self, int olddfd, uint64_t old_addr, int newdfd, uint64_t new_addr,
                     uint32_t flags) {
  bool empty_ok = (flags & fs::kAtEmptyPath) != 0;
  UserPath from;
  OSTD_TRY(from.Copy(old_addr, empty_ok));
  UserPath to;
  OSTD_TRY(to.Copy(new_addr));
  if ((flags & ~(fs::kAtSymlinkFollow | fs::kAtEmptyPath)) != 0) return Err(Errno::kEINVAL);
  // Linking an open file by descriptor needs CAP_DAC_READ_SEARCH.
  if (empty_ok && !file_sys::Privileged(self)) return Err(Errno::kENOENT);
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
SyscallResult SysLink(Thread& self, const SyscallArgs& a) {
  return DoLink(self, kAtFdCwd, a[0], kAtFdCwd, a[1], 0);
}
SyscallResult SysLinkat(Thread& self, const SyscallArgs& a) {
  return DoLink(self, FdArg(a[0]), a[1], FdArg(a[2]), a[3], UintArg(a[4]));
}

SyscallResult DoSymlink(Thread& self, uint64_t target_addr, int newdfd, uint64_t path_addr) {
  UserPath target;
  OSTD_TRY(target.Copy(target_addr));
  UserPath path;
  OSTD_TRY(path.Copy(path_addr));
  OSTD_TRY_ASSIGN(RefPtr<Inode> start, AtStart(self, newdfd, path.view()));
  OSTD_TRY(fs::SymlinkAt(target.view(), self.process().fs(), std::move(start), path.view(),
                         ActorOf(self)));
  return 0;
}
SyscallResult SysSymlink(Thread& self, const SyscallArgs& a) {
  return DoSymlink(self, a[0], kAtFdCwd, a[1]);
}
SyscallResult SysSymlinkat(Thread& self, const SyscallArgs& a) {
  return DoSymlink(self, a[0], FdArg(a[1]), a[2]);
}

SyscallResult DoReadlink(Thread& self, int dirfd, uint64_t path_addr, uint64_t buf, int32_t size) {
  if (size <= 0) return Err(Errno::kEINVAL);
  UserPath path;
  OSTD_TRY(path.Copy(path_addr, true));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, file_sys::ResolveAt(self, dirfd, path.view(), false));
  if (!inode->is_symlink()) return Err(path.empty() ? Errno::kENOENT : Errno::kEINVAL);
  ostd::Vec<char> target;
  OSTD_TRY(target.Resize(std::min<size_t>(static_cast<size_t>(size), fs::kPathMax)));
  OSTD_TRY_ASSIGN(size_t n, inode->ReadLink(target.span()));
  inode->TouchAccess();
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(UserPtr<uint8_t>(buf), n));
  for (size_t i = 0; i < n; ++i) {
    OSTD_TRY(w.WriteVal(static_cast<uint8_t>(target[i])));
  }
  return n;
}
SyscallResult SysReadlink(Thread& self, const SyscallArgs& a) {
  return DoReadlink(self, kAtFdCwd, a[0], a[1], file_sys::IntArg(a[2]));
}
SyscallResult SysReadlinkat(Thread& self, const SyscallArgs& a) {
  return DoReadlink(self, FdArg(a[0]), a[1], a[2], file_sys::IntArg(a[3]));
}

// --- Current directory ---

ostd::Status EnterDir(Thread& self, RefPtr<Inode> dir) {
  if (!dir->is_dir()) return Err(Errno::kENOTDIR);
  OSTD_TRY(fs::CheckAccess(*dir, 1, ActorOf(self)));
  self.process().fs().set_cwd(std::move(dir));
  return {};
}

SyscallResult SysChdir(Thread& self, const SyscallArgs& a) {
  UserPath path;
  OSTD_TRY(path.Copy(a[0]));
  OSTD_TRY_ASSIGN(RefPtr<Inode> dir, file_sys::ResolveAt(self, kAtFdCwd, path.view(), true));
  OSTD_TRY(EnterDir(self, std::move(dir)));
  return 0;
}

SyscallResult SysFchdir(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFileRaw(self, FdArg(a[0])));
  if (f->inode() == nullptr) return Err(Errno::kENOTDIR);
  OSTD_TRY(EnterDir(self, f->inode_ref()));
  return 0;
}

SyscallResult SysGetcwd(Thread& self, const SyscallArgs& a) {
  ostd::Vec<char> buf;
  OSTD_TRY(buf.Resize(fs::kPathMax));
  fs::FsContext& ctx = self.process().fs();
  OSTD_TRY_ASSIGN(size_t start, fs::PathOf(ctx.cwd(), ctx.root(), buf.span()));
  size_t len = buf.size() - start;
  if (len + 1 > a[1]) return Err(Errno::kERANGE);
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(UserPtr<uint8_t>(a[0]), len + 1));
  for (size_t i = start; i < buf.size(); ++i) OSTD_TRY(w.WriteVal(static_cast<uint8_t>(buf[i])));
  OSTD_TRY(w.WriteVal(uint8_t{0}));
  return len + 1;
}

SyscallResult SysUmask(Thread& self, const SyscallArgs& a) {
  return self.process().fs().SetUmask(UintArg(a[0]) & 0777);
}

}  // namespace

void RegisterFilePathSyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::open, SysOpen>();
  t.BindUntyped<sysno::getcwd, SysGetcwd>();
  t.BindUntyped<sysno::chdir, SysChdir>();
  t.BindUntyped<sysno::fchdir, SysFchdir>();
  t.BindUntyped<sysno::rename, SysRename>();
  t.BindUntyped<sysno::mkdir, SysMkdir>();
  t.BindUntyped<sysno::rmdir, SysRmdir>();
  t.BindUntyped<sysno::creat, SysCreat>();
  t.BindUntyped<sysno::link, SysLink>();
  t.BindUntyped<sysno::unlink, SysUnlink>();
  t.BindUntyped<sysno::symlink, SysSymlink>();
  t.BindUntyped<sysno::readlink, SysReadlink>();
  t.BindUntyped<sysno::umask, SysUmask>();
  t.BindUntyped<sysno::mknod, SysMknod>();
  t.BindUntyped<sysno::openat, SysOpenat>();
  t.BindUntyped<sysno::mkdirat, SysMkdirat>();
  t.BindUntyped<sysno::mknodat, SysMknodat>();
  t.BindUntyped<sysno::unlinkat, SysUnlinkat>();
  t.BindUntyped<sysno::renameat, SysRenameat>();
  t.BindUntyped<sysno::linkat, SysLinkat>();
  t.BindUntyped<sysno::symlinkat, SysSymlinkat>();
  t.BindUntyped<sysno::readlinkat, SysReadlinkat>();
  t.BindUntyped<sysno::renameat2, SysRenameat2>();
}

}  // namespace kernel
