// Extended attributes: {,l,f}setxattr, {,l,f}getxattr, {,l,f}listxattr and
// {,l,f}removexattr with Linux 6.1's checks and their order: the flags
// (EINVAL), the name (ERANGE if empty or longer than 255 bytes), the value
// (E2BIG past 64 KiB, EFAULT), the path lookup, then Linux's
// xattr_permission (trusted.* needs CAP_SYS_ADMIN: EPERM to write, ENODATA
// to read; user.* only on regular files and directories: EPERM/ENODATA;
// the owner or root writes user.* on a sticky directory; then read or write
// permission, EACCES), then writing security.* needs CAP_SYS_ADMIN (Linux's
// capability module), then the namespace (EOPNOTSUPP unless user.,
// trusted. or security.; EINVAL for a bare prefix). tmpfs keeps attributes
// (fs/xattr.h); other file systems say EOPNOTSUPP.
#include "kernel/fs/xattr.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"

namespace kernel {
namespace {

using file_sys::GetFile;
using file_sys::UserPath;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using UserString = UserInPtr<const char>;

constexpr std::string_view kUser = "user.";
constexpr std::string_view kTrusted = "trusted.";
constexpr std::string_view kSecurity = "security.";
constexpr uint32_t kMayRead = 4, kMayWrite = 2;
constexpr uint32_t kSticky = 01000;

struct Name {
  std::array<char, fs::kXattrNameMax + 1> buf{};
  size_t len = 0;
  std::string_view view() const { return std::string_view(std::span<const char>(buf).first(len)); }
};

// strncpy_from_user of at most 256 bytes: ERANGE if empty or without a NUL
// in them, EFAULT.
Status CopyName(UserString uname, Name& n) {
  Result<size_t> len = ostd::vm::CopyStringFromUser(uname, n.buf);
  if (!len) return Err(len.error() == Errno::kENAMETOOLONG ? Errno::kERANGE : len.error());
  if (*len == 0) return Err(Errno::kERANGE);
  n.len = *len;
  return {};
}

bool HasPrefix(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

// Linux's xattr_permission.
Status Permission(Thread& self, Inode& inode, std::string_view name, uint32_t mask) {
  if (HasPrefix(name, kSecurity) || HasPrefix(name, "system.")) return {};
  if (HasPrefix(name, kTrusted)) {
    if (!file_sys::Capable(self, Cap::kSysAdmin))
      return Err(mask == kMayWrite ? Errno::kEPERM : Errno::kENODATA);
    return {};
  }
  if (HasPrefix(name, kUser)) {
    if (!inode.is_regular() && !inode.is_dir()) {
      return Err(mask == kMayWrite ? Errno::kEPERM : Errno::kENODATA);
    }
    if (inode.is_dir() && (inode.mode() & kSticky) != 0 && mask == kMayWrite &&
        !file_sys::Capable(self, Cap::kFowner) && inode.uid() != file_sys::ActorOf(self).uid) {
      return Err(Errno::kEPERM);
    }
  }
  return fs::CheckAccess(inode, mask, file_sys::ActorOf(self));
}

// Linux's xattr_resolve_name over tmpfs's handlers, and the store.
Result<fs::XattrStore*> Store(Inode& inode, std::string_view name) {
  for (std::string_view prefix : {kUser, kTrusted, kSecurity}) {
    if (HasPrefix(name, prefix)) {
      if (name.size() == prefix.size()) return Err(Errno::kEINVAL);
      fs::XattrStore* store = inode.xattrs();
      if (store == nullptr) return Err(Errno::kEOPNOTSUPP);
      return store;
    }
  }
  return Err(Errno::kEOPNOTSUPP);
}

// The inode a path names (following a last symlink unless `lflavor`).
Result<RefPtr<Inode>> ByPath(Thread& self, UserString upath, bool lflavor) {
  UserPath path;
  OSTD_TRY(path.Copy(upath));
  return file_sys::ResolveAt(self, fs::kAtFdCwd, path.view(), !lflavor);
}

Result<RefPtr<Inode>> ByFd(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<fs::File> f, GetFile(self, fd));
  if (f->inode() == nullptr) return Err(Errno::kEOPNOTSUPP);
  return f->inode_ref();
}

// --- set ---

struct SetArgs {
  Name name;
  ostd::Vec<uint8_t> value;
  uint32_t flags = 0;
};

// setxattr_copy: flags, name, value.
Status CopySetArgs(UserString uname, UserInPtr<uint8_t> uvalue, uint64_t size, uint32_t flags,
                   SetArgs& a) {
  if ((flags & ~(fs::kXattrCreate | fs::kXattrReplace)) != 0) return Err(Errno::kEINVAL);
  a.flags = flags;
  OSTD_TRY(CopyName(uname, a.name));
  if (size > 0) {
    if (size > fs::kXattrSizeMax) return Err(Errno::kE2BIG);
    OSTD_TRY(a.value.Resize(size));
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(uvalue, size));
    auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(a.value.span());
    OSTD_TRY(r.ReadTo(w).status());
  }
  return {};
}

SyscallResult DoSet(Thread& self, Inode& inode, const SetArgs& a) {
  std::string_view name = a.name.view();
  OSTD_TRY(Permission(self, inode, name, kMayWrite));
  if (HasPrefix(name, kSecurity) && !file_sys::Capable(self, Cap::kSysAdmin))
    return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(fs::XattrStore * store, Store(inode, name));
  OSTD_TRY(store->Set(name, a.value.span(), a.flags));
  inode.TouchChange();
  return 0;
}

SyscallResult SetPath(Thread& self, UserString upath, UserString uname, UserInPtr<uint8_t> uvalue,
                      uint64_t size, uint32_t flags, bool lflavor) {
  SetArgs a;
  OSTD_TRY(CopySetArgs(uname, uvalue, size, flags, a));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, upath, lflavor));
  return DoSet(self, *inode, a);
}

SyscallResult SysSetxattr(Thread& self, UserString path, UserString name, UserInPtr<uint8_t> value,
                          uint64_t size, uint32_t flags) {
  return SetPath(self, path, name, value, size, flags, false);
}
SyscallResult SysLsetxattr(Thread& self, UserString path, UserString name, UserInPtr<uint8_t> value,
                           uint64_t size, uint32_t flags) {
  return SetPath(self, path, name, value, size, flags, true);
}
SyscallResult SysFsetxattr(Thread& self, int fd, UserString name, UserInPtr<uint8_t> value,
                           uint64_t size, uint32_t flags) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByFd(self, fd));
  SetArgs a;
  OSTD_TRY(CopySetArgs(name, value, size, flags, a));
  return DoSet(self, *inode, a);
}

// --- get ---

// Copies kernel bytes out to the user buffer `dst`. EFAULT. Nothing to copy
// touches nothing (Linux copies only a positive count).
Status CopyOut(UserOutPtr<uint8_t> dst, std::span<uint8_t> bytes) {
  if (bytes.empty()) return {};
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(dst, bytes.size()));
  auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(bytes);
  OSTD_TRY(r.ReadTo(w).status());
  return {};
}

SyscallResult DoGet(Thread& self, Inode& inode, const Name& n, UserOutPtr<uint8_t> uvalue,
                    uint64_t size) {
  std::string_view name = n.view();
  OSTD_TRY(Permission(self, inode, name, kMayRead));
  OSTD_TRY_ASSIGN(fs::XattrStore * store, Store(inode, name));
  if (size == 0) return store->Get(name, {});
  uint64_t room = size > fs::kXattrSizeMax ? fs::kXattrSizeMax : size;
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(room));
  Result<size_t> got = store->Get(name, buf.span());
  if (!got) {
    if (got.error() == Errno::kERANGE && size >= fs::kXattrSizeMax) return Err(Errno::kE2BIG);
    return Err(got.error());
  }
  OSTD_TRY(CopyOut(uvalue, buf.span().first(*got)));
  return *got;
}

SyscallResult SysGetxattr(Thread& self, UserString path, UserString uname,
                          UserOutPtr<uint8_t> value, uint64_t size) {
  Name n;
  OSTD_TRY(CopyName(uname, n));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, false));
  return DoGet(self, *inode, n, value, size);
}
SyscallResult SysLgetxattr(Thread& self, UserString path, UserString uname,
                           UserOutPtr<uint8_t> value, uint64_t size) {
  Name n;
  OSTD_TRY(CopyName(uname, n));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, true));
  return DoGet(self, *inode, n, value, size);
}
SyscallResult SysFgetxattr(Thread& self, int fd, UserString uname, UserOutPtr<uint8_t> value,
                           uint64_t size) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByFd(self, fd));
  Name n;
  OSTD_TRY(CopyName(uname, n));
  return DoGet(self, *inode, n, value, size);
}

// --- list ---

SyscallResult DoList(Thread& self, Inode& inode, UserOutPtr<uint8_t> ulist, uint64_t size) {
  fs::XattrStore* store = inode.xattrs();
  if (store == nullptr) return 0;  // no attributes (Linux: none listed)
  bool trusted = file_sys::Capable(self, Cap::kSysAdmin);
  auto visible = [trusted](std::string_view name) { return trusted || !HasPrefix(name, kTrusted); };
  if (size == 0) return store->List({}, visible);
  uint64_t room = size > fs::kXattrListMax ? fs::kXattrListMax : size;
  ostd::Vec<uint8_t> buf;
  OSTD_TRY(buf.Resize(room));
  Result<size_t> got = store->List(buf.span(), visible);
  if (!got) {
    if (got.error() == Errno::kERANGE && size >= fs::kXattrListMax) return Err(Errno::kE2BIG);
    return Err(got.error());
  }
  OSTD_TRY(CopyOut(ulist, buf.span().first(*got)));
  return *got;
}

SyscallResult SysListxattr(Thread& self, UserString path, UserOutPtr<uint8_t> list, uint64_t size) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, false));
  return DoList(self, *inode, list, size);
}
SyscallResult SysLlistxattr(Thread& self, UserString path, UserOutPtr<uint8_t> list,
                            uint64_t size) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, true));
  return DoList(self, *inode, list, size);
}
SyscallResult SysFlistxattr(Thread& self, int fd, UserOutPtr<uint8_t> list, uint64_t size) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByFd(self, fd));
  return DoList(self, *inode, list, size);
}

// --- remove ---

SyscallResult DoRemove(Thread& self, Inode& inode, const Name& n) {
  std::string_view name = n.view();
  OSTD_TRY(Permission(self, inode, name, kMayWrite));
  if (HasPrefix(name, kSecurity) && !file_sys::Capable(self, Cap::kSysAdmin))
    return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(fs::XattrStore * store, Store(inode, name));
  OSTD_TRY(store->Remove(name));
  inode.TouchChange();
  return 0;
}

SyscallResult SysRemovexattr(Thread& self, UserString path, UserString uname) {
  Name n;
  OSTD_TRY(CopyName(uname, n));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, false));
  return DoRemove(self, *inode, n);
}
SyscallResult SysLremovexattr(Thread& self, UserString path, UserString uname) {
  Name n;
  OSTD_TRY(CopyName(uname, n));
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByPath(self, path, true));
  return DoRemove(self, *inode, n);
}
SyscallResult SysFremovexattr(Thread& self, int fd, UserString uname) {
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode, ByFd(self, fd));
  Name n;
  OSTD_TRY(CopyName(uname, n));
  return DoRemove(self, *inode, n);
}

}  // namespace

void RegisterXattrSyscalls(SyscallTable& t) {
  t.Bind<sysno::setxattr, SysSetxattr>();
  t.Bind<sysno::lsetxattr, SysLsetxattr>();
  t.Bind<sysno::fsetxattr, SysFsetxattr>();
  t.Bind<sysno::getxattr, SysGetxattr>();
  t.Bind<sysno::lgetxattr, SysLgetxattr>();
  t.Bind<sysno::fgetxattr, SysFgetxattr>();
  t.Bind<sysno::listxattr, SysListxattr>();
  t.Bind<sysno::llistxattr, SysLlistxattr>();
  t.Bind<sysno::flistxattr, SysFlistxattr>();
  t.Bind<sysno::removexattr, SysRemovexattr>();
  t.Bind<sysno::lremovexattr, SysLremovexattr>();
  t.Bind<sysno::fremovexattr, SysFremovexattr>();
}

}  // namespace kernel
