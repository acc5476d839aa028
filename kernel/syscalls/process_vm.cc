// process_vm_readv(2) and process_vm_writev(2), as Linux 6.1's
// mm/process_vm_access.c: copies between the caller's local iovecs and
// another process's remote ones, in order, without either process
// blocking the other. flags must be 0 and each array hold at most
// UIO_MAXIOV entries (EINVAL); the local array is checked as readv's
// (EFAULT), the remote one for negative lengths only (it is the other
// process's memory); nothing to copy is 0 before the process is even looked
// up. The process (any thread id, in the caller's pid namespace) must exist
// and have an address space (ESRCH), and the caller needs ptrace attach
// rights over it (EPERM). The result is the bytes copied: the copy stops
// at the first remote page that cannot be reached as the target's own
// access would reach it, or at a local fault, and with nothing copied that
// is EFAULT.
#include <cstdint>
#include <span>

#include "kernel/process/address_space.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/file_abi.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using file_abi::IoVec;
using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;

// The remote array: only its count and lengths are checked (iovec_from_user).
ostd::Status ImportRemote(UserInPtr<IoVec> vec, uint64_t count, ostd::Vec<IoVec>& out) {
  OSTD_TRY(file_sys::CopyIovecs(vec, count, out));
  for (const IoVec& v : out) {
    if (static_cast<int64_t>(v.len) < 0) return Err(Errno::kEINVAL);
  }
  return {};
}

SyscallResult ProcessVmRw(Thread& self, int pid, UserInPtr<IoVec> local, uint64_t liovcnt,
                          UserInPtr<IoVec> remote, uint64_t riovcnt, uint64_t flags, bool write) {
  if (flags != 0) return Err(Errno::kEINVAL);
  ostd::Vec<IoVec> lvec, rvec;
  OSTD_TRY(file_sys::ImportIovecs(local, liovcnt, lvec));
  OSTD_TRY(ImportRemote(remote, riovcnt, rvec));
  bool any = false;
  for (const IoVec& v : rvec) any = any || v.len != 0;
  if (!any) return 0;

  ostd::RefPtr<AddressSpace> mm;
  {
    Process& me = self.process();
    ostd::SpinLockGuard guard(TreeLock());
    Thread* t = FindThreadInLocked(me.pid_ns(), pid);
    if (t == nullptr) return Err(Errno::kESRCH);
    Process& p = t->process();
    AddressSpace* space = p.mm_locked();
    if (space == nullptr) return Err(Errno::kESRCH);
    if (!MayAccessLocked(me, p)) return Err(Errno::kEPERM);
    mm = ostd::RefFrom(*space);
  }

  // Walk both arrays together: each remote segment goes to (or comes from)
  // the local bytes next in line.
  uint64_t total = 0;
  size_t li = 0;
  uint64_t loff = 0;  // into lvec[li]
  for (const IoVec& r : rvec) {
    uint64_t roff = 0;
    while (roff < r.len) {
      while (li < lvec.size() && loff == lvec[li].len) {
        ++li;
        loff = 0;
      }
      if (li == lvec.size()) return total;  // the local side is full
      uint64_t n = std::min(r.len - roff, lvec[li].len - loff);
      uint64_t lbase = lvec[li].base + loff;
      ostd::Result<size_t> done = Err(Errno::kEFAULT);
      if (write) {
        ostd::Result<ostd::vm::VmReader<ostd::vm::Fallible>> src =
            ostd::vm::UserReader(UserInPtr<uint8_t>(lbase), n);
        if (src) done = mm->WriteRemote(r.base + roff, n, *src);
      } else {
        ostd::Result<ostd::vm::VmWriter<ostd::vm::Fallible>> dst =
            ostd::vm::UserWriter(ostd::vm::UserOutPtr<uint8_t>(lbase), n);
        if (dst) done = mm->ReadRemote(r.base + roff, n, *dst);
      }
      if (!done) {
        if (total == 0) return Err(done.error());
        return total;
      }
      total += *done;
      roff += *done;
      loff += *done;
      if (*done < n) return total;
    }
  }
  return total;
}

SyscallResult SysProcessVmReadv(Thread& self, int pid, UserInPtr<IoVec> local, uint64_t liovcnt,
                                UserInPtr<IoVec> remote, uint64_t riovcnt, uint64_t flags) {
  return ProcessVmRw(self, pid, local, liovcnt, remote, riovcnt, flags, /*write=*/false);
}

SyscallResult SysProcessVmWritev(Thread& self, int pid, UserInPtr<IoVec> local, uint64_t liovcnt,
                                 UserInPtr<IoVec> remote, uint64_t riovcnt, uint64_t flags) {
  return ProcessVmRw(self, pid, local, liovcnt, remote, riovcnt, flags, /*write=*/true);
}

}  // namespace

void RegisterProcessVmSyscalls(SyscallTable& t) {
  t.Bind<sysno::process_vm_readv, SysProcessVmReadv>();
  t.Bind<sysno::process_vm_writev, SysProcessVmWritev>();
}

}  // namespace kernel
