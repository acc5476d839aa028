// Process descriptors: pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2),
// and the pidfds CLONE_PIDFD (process.cc) and waitid(P_PIDFD) use. A pidfd
// names one process (its pid and start time, so a reused pid is never
// mistaken for it); it is readable (POLLIN) once every thread of the
// process has exited (and after it is reaped).
// Always close-on-exec, as on Linux. pidfd_send_signal also takes an open
// /proc/<pid> directory in place of a pidfd, as Linux does.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/wait.h"
#include "kernel/process/process.h"
#include "kernel/process/signal.h"
#include "kernel/procfs/procfs.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/util/downcast.h"

namespace kernel {
namespace {

using fs::Caller;
using fs::File;
using fs::IoReader;
using fs::IoWriter;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr uint32_t kPidfdNonblock = fs::kO_NONBLOCK;

class PidFdFile final : public ostd::Derives<PidFdFile, File> {
 public:
  PidFdFile(int pid, uint64_t start_ns, uint32_t flags)
      : Derives(this, nullptr, fs::kO_RDWR | flags), pid_(pid), start_ns_(start_ns) {}

  int pid() const { return pid_; }
  uint64_t start_ns() const { return start_ns_; }

  // The process, if it has not been reaped (TreeLock held).
  Process* FindLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    Process* p = FindProcessLocked(pid_);
    return p != nullptr && p->start_ns == start_ns_ ? p : nullptr;
  }

  bool seekable() const override { return false; }
  std::string_view anon_inode_name() const override { return "[pidfd]"; }
  ostd::Result<size_t> Read(IoWriter&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> Write(IoReader&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> ReadAt(uint64_t, IoWriter&, Caller&) override { return Err(Errno::kEINVAL); }
  ostd::Result<size_t> WriteAt(uint64_t, IoReader&, Caller&) override {
    return Err(Errno::kEINVAL);
  }

  uint16_t Poll() override {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindLocked();
    // Linux 6.1 reports a reaped process as readable, without POLLHUP.
    bool exited = p == nullptr || p->thread_count() == 0;
    return exited ? (fs::kPollIn | fs::kPollRdNorm) : 0;
  }
  fs::Waitable* waitable() override { return &ProcessExitWaitable(); }

  // Linux's pidfd_show_fdinfo: the pid as the reader's pid namespace
  // numbers it, and NSpid: that number, then the process's numbers in each
  // namespace below, down to its own. 0 if the reader's namespace does not
  // see it, -1 for both once it is reaped.
  void ShowFdinfo(ostd::FormatSink& out) override {
    ostd::RefPtr<PidNamespace> ns = procfs::ReaderNs();
    std::array<int, PidNamespace::kMaxLevel + 1> nrs{};
    size_t levels = 0;
    int nr = -1;
    {
      ostd::SpinLockGuard guard(TreeLock());
      if (Process* p = FindLocked()) {
        std::span<const int> seen = p->pid_nrs().From(*ns);
        levels = seen.size();
        for (size_t i = 0; i < levels; ++i) nrs[i] = seen[i];
        nr = levels == 0 ? 0 : nrs[0];
      }
    }
    ostd::FormatTo(out, "Pid:\t{}\nNSpid:\t{}", nr, nr);
    for (size_t i = 1; i < levels; ++i) ostd::FormatTo(out, "\t{}", nrs[i]);
    ostd::FormatTo(out, "\n");
  }

 private:
  const int pid_;
  const uint64_t start_ns_;
};

ostd::Result<RefPtr<PidFdFile>> GetPidfd(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
  RefPtr<PidFdFile> p = ostd::DowncastRef<PidFdFile>(f);
  if (!p) return Err(Errno::kEBADF);
  return p;
}

SyscallResult SysPidfdOpen(Thread& self, int pid, uint32_t flags) {
  if ((flags & ~kPidfdNonblock) != 0 || pid <= 0) return Err(Errno::kEINVAL);
  uint64_t start_ns = 0;
  {
    ostd::SpinLockGuard guard(TreeLock());
    const PidNamespace& ns = self.process().pid_ns();
    Process* p = FindProcessInLocked(ns, pid);
    if (p == nullptr) {
      // A thread that does not lead its process: EINVAL; nothing: ESRCH.
      return Err(FindThreadInLocked(ns, pid) != nullptr ? Errno::kEINVAL : Errno::kESRCH);
    }
    start_ns = p->start_ns;
    pid = p->pid();  // the pidfd keeps the global id
  }
  OSTD_TRY(file_sys::CheckFreeFd(self));
  OSTD_TRY_ASSIGN(RefPtr<PidFdFile> file, fs::MakeRef<PidFdFile>(pid, start_ns, flags));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(RefPtr<File>(std::move(file)), true));
  return fd;
}

bool ValidSignal(uint64_t sig) { return sig >= 1 && sig <= kNumSignals; }

// What pidfd_send_signal's descriptor names: a pidfd, or (as on Linux) an
// open /proc/<pid> directory of a process. EBADF for anything else.
struct SignalTarget {
  int pid;
  uint64_t start_ns;
  // The process, if it has not been reaped (TreeLock held).
  Process* FindLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    Process* p = FindProcessLocked(pid);
    return p != nullptr && p->start_ns == start_ns ? p : nullptr;
  }
};

ostd::Result<SignalTarget> GetSignalTarget(Thread& self, int fd) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
  if (RefPtr<PidFdFile> p = ostd::DowncastRef<PidFdFile>(f)) {
    return SignalTarget{.pid = p->pid(), .start_ns = p->start_ns()};
  }
  if (f->inode() != nullptr) {
    if (std::optional<procfs::ProcDirTarget> t = procfs::ProcDirTargetOf(*f->inode())) {
      return SignalTarget{.pid = t->pid, .start_ns = t->start_ns};
    }
  }
  return Err(Errno::kEBADF);
}

SyscallResult SysPidfdSendSignal(Thread& self, int pidfd, int signum,
                                 ostd::vm::UserInPtr<void> uinfo, uint32_t flags) {
  if (flags != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SignalTarget f, GetSignalTarget(self, pidfd));
  SigInfo info{.code = kSiUser, .uid = self.process().creds().uid};
  if (!uinfo.is_null()) {
    OSTD_TRY_ASSIGN(info, CopySigInfoFromUser(uinfo, signum));
    OSTD_TRY_ASSIGN(int32_t signo, ostd::vm::CopyFromUser(uinfo.Cast<int32_t>()));
    if (signo != signum) return Err(Errno::kEINVAL);
    if (self.process().pid() != f.pid && (info.code >= 0 || info.code == kSiTkill)) {
      return Err(Errno::kEPERM);
    }
  }
  uint64_t sig = static_cast<uint32_t>(signum);
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = f.FindLocked();
  if (p == nullptr) return Err(Errno::kESRCH);
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  if (!MaySignal(self.process(), *p, sig)) return Err(Errno::kEPERM);
  // The sender's pid as the target's namespace numbers it; none from a
  // namespace that cannot see the target's.
  if (self.process().PidIn(p->pid_ns()) == 0) {
    info.pid = 0;
    info.from_outside_ns = true;
  } else if (uinfo.is_null()) {
    info.pid = self.process().PidIn(p->pid_ns());
  }
  if (sig != 0 && p->thread_count() > 0) OSTD_TRY(p->TrySendSignal(static_cast<int>(sig), info));
  return 0;
}

SyscallResult SysPidfdGetfd(Thread& self, int pidfd, int targetfd, uint32_t flags) {
  if (flags != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(RefPtr<PidFdFile> f, GetPidfd(self, pidfd));
  RefPtr<fs::FdTable> files;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = f->FindLocked();
    if (p == nullptr) return Err(Errno::kESRCH);
    if (!MayAccessLocked(self.process(), *p)) return Err(Errno::kEPERM);
    // An exited process has no descriptors.
    if (p->thread_count() == 0) return Err(Errno::kEBADF);
    if (fs::FdTable* t = p->files_locked()) files = t->RefFromThis();
  }
  if (!files) return Err(Errno::kEBADF);
  OSTD_TRY_ASSIGN(RefPtr<File> file, files->Get(targetfd));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(std::move(file), true));
  return fd;
}

}  // namespace

// For waitid(P_PIDFD) (process.cc): the pid a pidfd names and whether it is
// nonblocking. EBADF for anything else.
ostd::Result<int> PidfdPid(Thread& self, int fd, bool& nonblocking) {
  OSTD_TRY_ASSIGN(RefPtr<PidFdFile> f, GetPidfd(self, fd));
  nonblocking = f->nonblocking();
  return f->pid();
}

namespace file_sys {
std::optional<PidfdTarget> PidfdTargetOf(fs::File& f) {
  PidFdFile* p = ostd::DowncastTo<PidFdFile>(&f);
  if (p == nullptr) return std::nullopt;
  return PidfdTarget{.pid = p->pid(), .start_ns = p->start_ns()};
}
}  // namespace file_sys

// For CLONE_PIDFD (process.cc): a pidfd for the process `pid` (as the
// caller's namespace numbers it). If the child is already reaped (its
// parent ignores SIGCHLD), the pidfd reads as that of a reaped process, as
// on Linux.
ostd::Result<int> OpenPidfd(Thread& self, int pid) {
  uint64_t start_ns = ~uint64_t{0};
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindProcessInLocked(self.process().pid_ns(), pid);
    if (p != nullptr) start_ns = p->start_ns;
    pid = p != nullptr ? p->pid() : kNoPid;
  }
  OSTD_TRY_ASSIGN(RefPtr<PidFdFile> file, fs::MakeRef<PidFdFile>(pid, start_ns, 0));
  return self.process().files().Install(RefPtr<File>(std::move(file)), true);
}

void RegisterPidfdSyscalls(SyscallTable& t) {
  t.Bind<sysno::pidfd_open, SysPidfdOpen>();
  t.Bind<sysno::pidfd_send_signal, SysPidfdSendSignal>();
  t.Bind<sysno::pidfd_getfd, SysPidfdGetfd>();
}

}  // namespace kernel
