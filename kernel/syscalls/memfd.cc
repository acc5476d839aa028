// memfd_create(2): an anonymous tmpfs file, sealable on request. The seal
// rules themselves live with tmpfs (kernel/fs/memfd.h), F_ADD_SEALS and
// F_GET_SEALS in file_fd.cc, the vm.memfd_noexec sysctl in procfs.
#include "kernel/fs/memfd.h"

#include <array>
#include <cstdint>

#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/vm/vm_io.h"

namespace kernel {
namespace {

using fs::File;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

SyscallResult SysMemfdCreate(Thread& self, ostd::vm::UserInPtr<const char> uname, uint32_t flags) {
  OSTD_TRY_ASSIGN(fs::MemfdPlan plan,
                  fs::PlanMemfd(flags, self.process().pid_ns().MemfdNoexecScope()));
  // The name: up to 249 bytes and its NUL; EFAULT for a bad pointer.
  std::array<char, fs::kMemfdNameMax + 1> name{};
  ostd::Result<size_t> len = ostd::vm::CopyStringFromUser(uname, name);
  if (!len) return Err(len.error() == Errno::kENAMETOOLONG ? Errno::kEINVAL : len.error());
  OSTD_TRY(file_sys::CheckFreeFd(self));
  // Keel has no huge pages: what Linux says without CONFIG_HUGETLBFS.
  if (plan.hugetlb) return Err(Errno::kENOSYS);
  fs::Actor actor = file_sys::ActorOf(self);
  OSTD_TRY_ASSIGN(RefPtr<Inode> inode,
                  fs::CreateMemfdInode(std::string_view(std::span<const char>(name).first(*len)),
                                       plan.perm, plan.seals, actor.uid, actor.gid));
  file_sys::ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(RefPtr<File> file, inode->Open(fs::kO_RDWR | fs::kO_LARGEFILE, caller));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(std::move(file), plan.cloexec));
  return fd;
}

}  // namespace

void RegisterMemfdSyscalls(SyscallTable& t) { t.Bind<sysno::memfd_create, SysMemfdCreate>(); }

}  // namespace kernel
