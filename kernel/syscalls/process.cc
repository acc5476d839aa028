// Process and thread lifecycle, identities and credentials.
#include "kernel/process/process.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "kernel/process/exec.h"
#include "kernel/syscalls/copy_struct.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

namespace file_sys {
ostd::Status CheckFreeFd(Thread& self);  // file_caller.h: EMFILE
}  // namespace file_sys

// pidfd.cc: a pidfd for process `pid` (CLONE_PIDFD), and the pid of the
// process a pidfd names (waitid(P_PIDFD); EBADF).
ostd::Result<int> OpenPidfd(Thread& self, int pid);
ostd::Result<int> PidfdPid(Thread& self, int fd, bool& nonblocking);

namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyToUser;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr uint64_t kCloneCsignal = 0xff;
constexpr uint64_t kCloneVm = 0x100;
constexpr uint64_t kCloneVfork = 0x4000;
constexpr uint64_t kCloneNewpid = 0x20000000;
constexpr uint64_t kCloneNewns = 0x00020000;
constexpr uint64_t kCloneNewuts = 0x04000000;
constexpr uint64_t kCloneNewnet = 0x40000000;
// Flags Keel accepts (of the namespaces CLONE_NEWPID, see pid_namespace.h,
// CLONE_NEWNS, see kernel/fs/mount_namespace.h, CLONE_NEWUTS, see
// kernel/process/uts.h, and CLONE_NEWNET, see net_namespace.h; ptrace and
// io contexts are not supported).
constexpr uint64_t kCloneSupported =
    0x00000100 | 0x00000200 | 0x00000400 | 0x00000800 | 0x00004000 | 0x00008000 | 0x00010000 |
    0x00040000 | 0x00080000 | 0x00100000 | 0x00200000 | 0x01000000 | 0x00400000 /*UNTRACED*/ |
    0x00002000 /*PTRACE: ignored*/ | 0x00001000 /*PIDFD*/ | kCloneNewpid | kCloneNewns |
    kCloneNewuts | kCloneNewnet;

// Ids as the caller's pid namespace numbers them (in the root namespace,
// the global ids, read without the tree lock).
SyscallResult SysGetpid(Thread& self) { return self.process().PidIn(self.process().pid_ns()); }
SyscallResult SysGettid(Thread& self) { return self.TidIn(self.process().pid_ns()); }
SyscallResult SysGetppid(Thread& self) {
  Process& p = self.process();
  if (p.pid_ns().level() == 0) return p.ppid();
  ostd::SpinLockGuard guard(TreeLock());
  return p.PpidInLocked(p.pid_ns());
}

constexpr uint64_t kClonePidfd = 0x1000;
constexpr uint64_t kCloneParentSettid = 0x00100000;
constexpr uint64_t kCloneThread = 0x00010000;
constexpr uint64_t kCloneDetached = 0x00400000;

// With CLONE_PIDFD, a pidfd for the child is stored at `pidfd` (EFAULT
// before any child is made; EMFILE if no descriptor is free).
SyscallResult DoClone(Thread& self, const CloneArgs& args, UserOutPtr<int32_t> pidfd = {}) {
  bool want_pidfd = (args.flags & kClonePidfd) != 0;
  if (want_pidfd) {
    if ((args.flags & (kCloneThread | kCloneDetached)) != 0) return Err(Errno::kEINVAL);
    OSTD_TRY(CopyToUser(pidfd, int32_t{-1}));
    OSTD_TRY(file_sys::CheckFreeFd(self));
  }
  CloneArgs plain = args;
  plain.flags &= ~kClonePidfd;
  int64_t tid = KernelClone(plain, self);
  if (tid < 0) return Err(static_cast<Errno>(-tid));
  if (want_pidfd) {
    OSTD_TRY_ASSIGN(int fd, OpenPidfd(self, static_cast<int>(tid)));
    OSTD_TRY(CopyToUser(pidfd, int32_t{fd}));
  }
  return tid;
}

// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order.
// The tid pointers are written (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID) or
// cleared at exit (CLONE_CHILD_CLEARTID).
SyscallResult SysClone(Thread& self, uint64_t flags, uint64_t stack, UserOutPtr<int32_t> parent_tid,
                       UserOutPtr<int32_t> child_tid, uint64_t tls) {
  if ((flags & ~(kCloneSupported | kCloneCsignal)) != 0) return Err(Errno::kEINVAL);
  // clone(2) returns the pidfd where CLONE_PARENT_SETTID would store the tid.
  if ((flags & kClonePidfd) != 0 && (flags & kCloneParentSettid) != 0) return Err(Errno::kEINVAL);
  return DoClone(self,
                 CloneArgs{.flags = flags & ~kCloneCsignal,
                           .stack = stack,
                           .parent_tid = parent_tid,
                           .child_tid = child_tid,
                           .tls = tls,
                           .exit_signal = static_cast<int>(flags & kCloneCsignal)},
                 parent_tid);
}

// struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2).
struct CloneArgs3 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  uint64_t set_tid, set_tid_size, cgroup;
  OSTD_POD(CloneArgs3, flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
           set_tid, set_tid_size, cgroup);
};
constexpr uint64_t kCloneArgsSizeVer0 = 64;
constexpr uint64_t kCloneClearSighand = 0x100000000, kCloneIntoCgroup = 0x200000000;
constexpr uint64_t kMaxPidNsLevel = 32;

// clone3(struct clone_args*, size): copy_clone_args_from_user's checks, in
// its order. set_tid (set_tid_size int32s) chooses the child's pid in its
// namespace and the ones above (Clone checks the numbers).
// CLONE_INTO_CGROUP is not supported (EINVAL: Keel has no cgroups).
SyscallResult SysClone3(Thread& self, UserInPtr<CloneArgs3> uargs, uint64_t size) {
  if (size > 4096) return Err(Errno::kE2BIG);  // larger than a page, as on Linux
  if (size < kCloneArgsSizeVer0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(CloneArgs3 c, CopyStructFromUser<CloneArgs3>(uargs, size));
  if (c.set_tid_size > kMaxPidNsLevel) return Err(Errno::kEINVAL);
  if (c.set_tid == 0 && c.set_tid_size > 0) return Err(Errno::kEINVAL);
  if (c.set_tid != 0 && c.set_tid_size == 0) return Err(Errno::kEINVAL);
  if (c.exit_signal > 64) return Err(Errno::kEINVAL);
  if ((c.flags & kCloneIntoCgroup) != 0 && c.cgroup > 0x7fffffff) return Err(Errno::kEINVAL);
  if ((c.flags & ~(kCloneSupported | kCloneClearSighand)) != 0) return Err(Errno::kEINVAL);
  std::array<int, kMaxPidNsLevel> set_tid{};
  if (c.set_tid_size != 0) {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                    ostd::vm::UserReader(UserInPtr<int32_t>(c.set_tid), c.set_tid_size));
    for (size_t i = 0; i < c.set_tid_size; ++i) {
      OSTD_TRY_ASSIGN(set_tid[i], r.ReadVal<int32_t>());
    }
  }
  // clone3_args_valid: CLONE_CLEAR_SIGHAND with CLONE_SIGHAND is EINVAL.
  if ((c.flags & kCloneClearSighand) != 0 && (c.flags & 0x800 /*CLONE_SIGHAND*/) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((c.stack == 0) != (c.stack_size == 0)) return Err(Errno::kEINVAL);
  return DoClone(self,
                 CloneArgs{.flags = c.flags,
                           .stack = c.stack == 0 ? 0 : c.stack + c.stack_size,
                           .parent_tid = UserOutPtr<int32_t>(c.parent_tid),
                           .child_tid = UserOutPtr<int32_t>(c.child_tid),
                           .tls = c.tls,
                           .exit_signal = static_cast<int>(c.exit_signal),
                           .set_tid = std::span<const int>(set_tid).first(c.set_tid_size)},
                 UserOutPtr<int32_t>(c.pidfd));
}

// unshare(2): CLONE_NEWPID (children go to a new pid namespace),
// CLONE_NEWNS (a copy of the mount namespace; implies CLONE_FS, as on
// Linux), CLONE_NEWUTS (a copy of the host and domain names), CLONE_NEWNET
// (a new network namespace: abstract UNIX socket names), CLONE_FS (a
// private fs context) and CLONE_FILES (a private descriptor table); Keel
// keeps all but the first per process, so they are EINVAL with more than
// one thread. CLONE_VM, CLONE_SIGHAND, CLONE_THREAD and
// CLONE_SYSVSEM ask for nothing in a single-threaded process, as on Linux;
// the other namespaces are not supported (EINVAL). Namespaces need CAP_SYS_ADMIN (EPERM before
// anything changes).
SyscallResult SysUnshare(Thread& self, uint64_t flags) {
  constexpr uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
                     kCloneThread = 0x10000, kCloneSysvsem = 0x40000;
  if ((flags & ~(kCloneNewpid | kCloneNewns | kCloneNewuts | kCloneNewnet | kCloneFs | kCloneFiles |
                 kCloneVm | kCloneSighand | kCloneThread | kCloneSysvsem)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & kCloneNewns) != 0) flags |= kCloneFs;
  if ((flags & (kCloneVm | kCloneSighand | kCloneThread | kCloneFs | kCloneFiles | kCloneNewuts |
                kCloneNewnet)) != 0 &&
      self.process().thread_count() > 1) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & (kCloneNewpid | kCloneNewns | kCloneNewuts | kCloneNewnet)) != 0 &&
      !self.process().creds().Capable(Cap::kSysAdmin)) {
    return Err(Errno::kEPERM);
  }
  if ((flags & kCloneNewpid) != 0) OSTD_TRY(self.process().UnsharePidNamespace());
  if ((flags & kCloneNewuts) != 0) OSTD_TRY(self.process().UnshareUts());
  if ((flags & kCloneNewnet) != 0) OSTD_TRY(self.process().UnshareNet());
  if ((flags & kCloneFs) != 0) OSTD_TRY(self.process().UnshareFs((flags & kCloneNewns) != 0));
  if ((flags & kCloneFiles) != 0) OSTD_TRY(self.process().UnshareFiles());
  return 0;
}

SyscallResult SysFork(Thread& self) { return DoClone(self, CloneArgs{.exit_signal = kSigChld}); }

SyscallResult SysVfork(Thread& self) {
  return DoClone(self, CloneArgs{.flags = kCloneVm | kCloneVfork, .exit_signal = kSigChld});
}

SyscallResult SysExit(Thread& self, int status) {
  DoExit(ExitedStatus(status), self);
  return 0;
}

SyscallResult SysExitGroup(Thread& self, int status) {
  ExitGroup(self.process(), ExitedStatus(status));
  DoExit(ExitedStatus(status), self);
  return 0;
}

constexpr uint32_t kWnohang = 1;
constexpr uint32_t kWuntraced = 2;
constexpr uint32_t kWexited = 4;
constexpr uint32_t kWcontinued = 8;
constexpr uint32_t kWnowait = 0x01000000;
constexpr uint32_t kWnothread = 0x20000000;
constexpr uint32_t kWall = 0x40000000;
constexpr uint32_t kWclone = 0x80000000;

SyscallResult SysWait4(Thread& self, int pid, UserOutPtr<int32_t> wstatus, uint32_t options,
                       UserOutPtr<Rusage> rusage) {
  if ((options & ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if (pid == INT32_MIN) return Err(Errno::kESRCH);
  int which = pid < -1 ? -GlobalPid(self.process(), -pid) : GlobalPid(self.process(), pid);
  OSTD_TRY_ASSIGN(WaitResult r, WaitChild(self, which,
                                          WaitOptions{.stopped = (options & kWuntraced) != 0,
                                                      .continued = (options & kWcontinued) != 0,
                                                      .nohang = (options & kWnohang) != 0}));
  if (r.pid != 0 && !wstatus.is_null()) OSTD_TRY(CopyToUser(wstatus, int32_t{r.status}));
  if (r.pid != 0 && !rusage.is_null()) OSTD_TRY(CopyToUser(rusage, RusageOf(r.times)));
  return r.pid;
}

// The siginfo_t waitid fills for SIGCHLD.
struct SigInfoChld {
  int32_t signo, errno_, code, pad;
  int32_t pid;
  uint32_t uid;
  int32_t status;
  int32_t pad2;
  std::array<uint64_t, 12> rest;
  OSTD_POD(SigInfoChld, signo, errno_, code, pad, pid, uid, status, pad2, rest);
};
static_assert(sizeof(SigInfoChld) == 128);

SyscallResult SysWaitid(Thread& self, int idtype, int id, UserOutPtr<SigInfoChld> infop,
                        uint32_t options, UserOutPtr<Rusage> rusage) {
  constexpr int kPAll = 0, kPPid = 1, kPPgid = 2, kPPidfd = 3;
  if ((options & ~(kWnohang | kWuntraced | kWexited | kWcontinued | kWnowait | kWnothread | kWall |
                   kWclone)) != 0 ||
      (options & (kWexited | kWuntraced | kWcontinued)) == 0) {
    return Err(Errno::kEINVAL);
  }
  int which;
  bool pidfd_nonblocking = false;
  if (idtype == kPAll) {
    which = -1;
  } else if (idtype == kPPid) {
    if (id <= 0) return Err(Errno::kEINVAL);
    which = GlobalPid(self.process(), id);
  } else if (idtype == kPPgid) {
    if (id < 0) return Err(Errno::kEINVAL);
    which = id == 0 ? 0 : -GlobalPid(self.process(), id);
  } else if (idtype == kPPidfd) {
    // A nonblocking pidfd makes the wait WNOHANG, and "nothing yet" EAGAIN.
    if (id < 0) return Err(Errno::kEINVAL);
    OSTD_TRY_ASSIGN(which, PidfdPid(self, id, pidfd_nonblocking));
    if (pidfd_nonblocking && (options & kWnohang) == 0) {
      options |= kWnohang;
    } else {
      pidfd_nonblocking = false;  // no EAGAIN for a caller's own WNOHANG
    }
  } else {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(WaitResult r, WaitChild(self, which,
                                          WaitOptions{.exited = (options & kWexited) != 0,
                                                      .stopped = (options & kWuntraced) != 0,
                                                      .continued = (options & kWcontinued) != 0,
                                                      .nohang = (options & kWnohang) != 0,
                                                      .nowait = (options & kWnowait) != 0}));
  if (pidfd_nonblocking && r.pid == 0) return Err(Errno::kEAGAIN);
  if (!infop.is_null()) {
    SigInfoChld info{};
    if (r.pid != 0) {
      info.signo = kSigChld;
      info.pid = r.pid;
      info.uid = r.uid;
      if (r.status == 0xffff) {
        info.code = 6;  // CLD_CONTINUED
        info.status = kSigCont;
      } else if ((r.status & 0xff) == 0x7f) {
        info.code = 5;  // CLD_STOPPED
        info.status = (r.status >> 8) & 0xff;
      } else if ((r.status & 0x7f) != 0) {
        info.code = (r.status & 0x80) != 0 ? kCldDumped : kCldKilled;
        info.status = r.status & 0x7f;
      } else {
        info.code = kCldExited;
        info.status = (r.status >> 8) & 0xff;
      }
    }
    OSTD_TRY(CopyToUser(infop, info));
  }
  if (!rusage.is_null()) OSTD_TRY(CopyToUser(rusage, RusageOf(r.times)));
  return 0;
}

// Copies a NULL-terminated array of user strings (argv or envp) into
// `arena`, recording each string's [offset, length) in `spans`. E2BIG past
// Linux's limits, EFAULT for bad pointers.
struct StringSpan {
  size_t offset;
  size_t len;
};
ostd::Status CopyStringArray(UserInPtr<uint64_t> array, ostd::Vec<char>& arena,
                             ostd::Vec<StringSpan>& spans, ostd::Vec<char>& scratch,
                             uint64_t& total) {
  constexpr uint64_t kMaxArgStrlen = 131072;
  constexpr uint64_t kMaxArgBytes = 2 * 1024 * 1024;
  constexpr size_t kMaxStrings = 65536;
  if (array.is_null()) return {};  // Linux treats a NULL argv/envp as empty
  for (size_t i = 0;; ++i) {
    if (i >= kMaxStrings) return Err(Errno::kE2BIG);
    OSTD_TRY_ASSIGN(UserInPtr<uint64_t> slot, array.At(i));
    OSTD_TRY_ASSIGN(uint64_t str, ostd::vm::CopyFromUser(slot));
    if (str == 0) return {};
    if (scratch.size() < kMaxArgStrlen) OSTD_TRY(scratch.Resize(kMaxArgStrlen));
    ostd::Result<size_t> n =
        ostd::vm::CopyStringFromUser(UserInPtr<const char>(str), scratch.span());
    if (!n) return Err(n.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : n.error());
    total += *n + 1 + sizeof(uint64_t);
    if (total > kMaxArgBytes) return Err(Errno::kE2BIG);
    size_t at = arena.size();
    OSTD_TRY(arena.Resize(at + *n));
    (void)ostd::CopyChars(scratch.span().first(*n), arena.span().subspan(at));
    OSTD_TRY(spans.Push(StringSpan{at, *n}));
  }
}

// execve(path, argv, envp): argv and envp are NULL-terminated arrays of
// string addresses.
SyscallResult SysExecve(Thread& self, UserInPtr<const char> filename, UserInPtr<uint64_t> argv_ptr,
                        UserInPtr<uint64_t> envp_ptr) {
  ostd::Vec<char> path;
  OSTD_TRY(path.Resize(4096));
  OSTD_TRY_ASSIGN(size_t path_len, ostd::vm::CopyStringFromUser(filename, path.span()));
  if (path_len == 0) return Err(Errno::kENOENT);
  return DoExecve(self, std::string_view(path.span().first(path_len)), argv_ptr, envp_ptr);
}

}  // namespace

SyscallResult DoExecve(Thread& self, std::string_view path, UserInPtr<uint64_t> argv_ptr,
                       UserInPtr<uint64_t> envp_ptr) {
  ostd::Vec<char> arena;
  ostd::Vec<char> scratch;
  ostd::Vec<StringSpan> argv_spans;
  ostd::Vec<StringSpan> envp_spans;
  uint64_t total = 0;
  OSTD_TRY(CopyStringArray(argv_ptr, arena, argv_spans, scratch, total));
  OSTD_TRY(CopyStringArray(envp_ptr, arena, envp_spans, scratch, total));
  // The arena is complete: views into it stay valid from here on.
  ostd::Vec<std::string_view> argv;
  ostd::Vec<std::string_view> envp;
  std::string_view all(arena.span());
  for (const StringSpan& s : argv_spans) OSTD_TRY(argv.Push(all.substr(s.offset, s.len)));
  for (const StringSpan& s : envp_spans) OSTD_TRY(envp.Push(all.substr(s.offset, s.len)));
  OSTD_TRY(Exec(self, path, argv.span(), envp.span()));
  return 0;
}

namespace {

SyscallResult SysSetTidAddress(Thread& self, uint64_t tidptr) {
  self.clear_child_tid = UserOutPtr<int32_t>(tidptr);
  return self.TidIn(self.process().pid_ns());
}

// struct robust_list_head is 24 bytes; the list is walked when the thread
// exits or execs (ExitRobustList, kernel/process/futex.h).
constexpr uint64_t kRobustListHeadSize = 24;

SyscallResult SysSetRobustList(Thread& self, uint64_t head, uint64_t len) {
  if (len != kRobustListHeadSize) return Err(Errno::kEINVAL);
  self.robust_list.store(head, std::memory_order_release);
  return 0;
}

// get_robust_list(pid, head_ptr, len_ptr): pid 0 is the caller; another
// thread's list needs the same uids or CAP_SYS_PTRACE (ptrace_may_access).
SyscallResult SysGetRobustList(Thread& self, int pid, UserOutPtr<uint64_t> head_ptr,
                               UserOutPtr<uint64_t> len_ptr) {
  uint64_t head = 0;
  if (pid == 0) {
    head = self.robust_list.load(std::memory_order_acquire);
  } else {
    ostd::SpinLockGuard guard(TreeLock());
    Thread* t = FindThreadInLocked(self.process().pid_ns(), pid);
    if (t == nullptr) return Err(Errno::kESRCH);
    if (!MayAccessLocked(self.process(), t->process())) return Err(Errno::kEPERM);
    head = t->robust_list.load(std::memory_order_acquire);
  }
  OSTD_TRY(CopyToUser(len_ptr, kRobustListHeadSize));
  OSTD_TRY(CopyToUser(head_ptr, head));
  return 0;
}

// arch_prctl(option, arg2): arg2 is the new base (SET) or where to write the
// current one (GET).
SyscallResult SysArchPrctl(Thread& self, int option, uint64_t arg2) {
  constexpr int kSetGs = 0x1001, kSetFs = 0x1002, kGetFs = 0x1003, kGetGs = 0x1004;
  ostd::user::UserContext& ctx = self.context();
  switch (option) {
    case kSetFs:
      OSTD_TRY(ctx.set_fs_base(arg2));
      return 0;
    case kSetGs:
      OSTD_TRY(ctx.set_gs_base(arg2));
      return 0;
    case kGetFs:
      OSTD_TRY(CopyToUser(UserOutPtr<uint64_t>(arg2), ctx.fs_base()));
      return 0;
    case kGetGs:
      OSTD_TRY(CopyToUser(UserOutPtr<uint64_t>(arg2), ctx.gs_base()));
      return 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

// --- Identities ---

SyscallResult SysGetuid(Thread& self) { return self.process().creds().uid; }
SyscallResult SysGeteuid(Thread& self) { return self.process().creds().euid; }
SyscallResult SysGetgid(Thread& self) { return self.process().creds().gid; }
SyscallResult SysGetegid(Thread& self) { return self.process().creds().egid; }

// The set*id calls compute the new credentials with credentials.h's
// transitions (Linux's rules, capabilities following the ids) and commit
// them whole, or fail with nothing changed.
SyscallResult SysSetuid(Thread& self, uint32_t uid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetUid(self.process().creds(), uid)));
  return 0;
}
SyscallResult SysSetgid(Thread& self, uint32_t gid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetGid(self.process().creds(), gid)));
  return 0;
}
SyscallResult SysSetresuid(Thread& self, uint32_t ruid, uint32_t euid, uint32_t suid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetResUid(self.process().creds(), ruid, euid, suid)));
  return 0;
}
SyscallResult SysSetresgid(Thread& self, uint32_t rgid, uint32_t egid, uint32_t sgid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetResGid(self.process().creds(), rgid, egid, sgid)));
  return 0;
}
SyscallResult SysSetreuid(Thread& self, uint32_t ruid, uint32_t euid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetReUid(self.process().creds(), ruid, euid)));
  return 0;
}
SyscallResult SysSetregid(Thread& self, uint32_t rgid, uint32_t egid) {
  OSTD_TRY(self.process().CommitCreds(creds::SetReGid(self.process().creds(), rgid, egid)));
  return 0;
}

// setfsuid/setfsgid: return the old fs id whatever happens; (uid_t)-1 is
// never a valid id, so it only queries.
SyscallResult SysSetfsuid(Thread& self, uint32_t uid) {
  uint32_t old = self.process().creds().fsuid;
  self.process().SetCreds(creds::SetFsUid(self.process().creds(), uid));
  return old;
}
SyscallResult SysSetfsgid(Thread& self, uint32_t gid) {
  uint32_t old = self.process().creds().fsgid;
  self.process().SetCreds(creds::SetFsGid(self.process().creds(), gid));
  return old;
}

SyscallResult GetRes(Thread& self, UserOutPtr<uint32_t> real, UserOutPtr<uint32_t> effective,
                     UserOutPtr<uint32_t> saved, bool gid) {
  const Credentials& c = self.process().creds();
  OSTD_TRY(CopyToUser(real, gid ? c.gid : c.uid));
  OSTD_TRY(CopyToUser(effective, gid ? c.egid : c.euid));
  OSTD_TRY(CopyToUser(saved, gid ? c.sgid : c.suid));
  return 0;
}
SyscallResult SysGetresuid(Thread& self, UserOutPtr<uint32_t> ruid, UserOutPtr<uint32_t> euid,
                           UserOutPtr<uint32_t> suid) {
  return GetRes(self, ruid, euid, suid, false);
}
SyscallResult SysGetresgid(Thread& self, UserOutPtr<uint32_t> rgid, UserOutPtr<uint32_t> egid,
                           UserOutPtr<uint32_t> sgid) {
  return GetRes(self, rgid, egid, sgid, true);
}

// getgroups(size, list): size 0 asks for the count; a smaller size than the
// count is EINVAL.
SyscallResult SysGetgroups(Thread& self, int size, UserOutPtr<uint32_t> list) {
  if (size < 0) return Err(Errno::kEINVAL);
  ostd::RefPtr<GroupList> groups = self.process().groups();
  size_t n = groups ? groups->size() : 0;
  if (size == 0 || n == 0) return n;
  if (static_cast<size_t>(size) < n) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(list, static_cast<uint64_t>(n)));
  for (uint32_t g : groups->gids()) OSTD_TRY(w.WriteVal(g));
  return n;
}

// setgroups(size, list): CAP_SETGID (checked first, as Linux); at most
// NGROUPS_MAX (65536) entries.
SyscallResult SysSetgroups(Thread& self, int size, UserInPtr<uint32_t> list) {
  if (!self.process().creds().Capable(Cap::kSetgid)) return Err(Errno::kEPERM);
  if (static_cast<uint32_t>(size) > GroupList::kMax) return Err(Errno::kEINVAL);
  ostd::Vec<uint32_t> gids;
  if (size > 0) {
    if (!gids.Resize(static_cast<size_t>(size))) return Err(Errno::kENOMEM);
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                    ostd::vm::UserReader(list, static_cast<uint64_t>(size)));
    for (uint32_t& g : gids) {
      OSTD_TRY_ASSIGN(g, r.ReadVal<uint32_t>());
    }
  }
  ostd::RefPtr<GroupList> groups;
  if (size > 0) {
    OSTD_TRY_ASSIGN(groups, GroupList::Create(gids.span()));
  }
  self.process().set_groups(std::move(groups));
  return 0;
}

// --- Sessions and process groups ---

// Process groups and sessions are named by their leaders' pids, as the
// caller's namespace numbers them: a group whose leader is outside that
// namespace reads as 0 there, as on Linux.
SyscallResult SysSetsid(Thread& self) {
  Process& p = self.process();
  int pid = p.pid();
  {
    ostd::SpinLockGuard guard(TreeLock());
    // A process-group leader cannot start a session (EPERM).
    bool leader = false;
    for (const ostd::Box<Process>& q : process_internal::AllProcesses()) {
      if (q->pgid() == pid) leader = true;
    }
    if (leader) return Err(Errno::kEPERM);
    ostd::RefPtr<PidNumbers> nrs = p.pid_nrs().RefFromThis();
    p.SetSidLocked(nrs);
    p.SetPgidLocked(std::move(nrs));
  }
  return p.PidIn(p.pid_ns());
}

SyscallResult SysGetsid(Thread& self, int pid) {
  Process& me = self.process();
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = pid == 0 ? &me : FindProcessInLocked(me.pid_ns(), pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  return p->SidInLocked(me.pid_ns());
}

SyscallResult SysSetpgid(Thread& self, int pid, int pgid) {
  if (pgid < 0) return Err(Errno::kEINVAL);
  Process& me = self.process();
  ostd::SpinLockGuard guard(TreeLock());
  Process* target = pid == 0 ? &me : FindProcessInLocked(me.pid_ns(), pid);
  if (target == nullptr) return Err(Errno::kESRCH);
  if (target != &me && target->parent_locked() != &me) return Err(Errno::kESRCH);
  if (target->sid() != me.sid()) return Err(Errno::kEPERM);
  if (target->sid() == target->pid()) return Err(Errno::kEPERM);  // a session leader
  ostd::RefPtr<PidNumbers> group = target->pid_nrs().RefFromThis();
  if (pgid != 0 && pgid != target->PidIn(me.pid_ns())) {
    // The group must exist in the same session.
    int global = GlobalPidLocked(me.pid_ns(), pgid);
    group = nullptr;
    for (const ostd::Box<Process>& q : process_internal::AllProcesses()) {
      if (q->pgid() == global && q->sid() == me.sid()) group = q->pgid_nrs_locked();
    }
    if (group == nullptr) return Err(Errno::kEPERM);
  }
  target->SetPgidLocked(std::move(group));
  return 0;
}

SyscallResult SysGetpgid(Thread& self, int pid) {
  Process& me = self.process();
  if (pid == 0 && me.pid_ns().level() == 0) return me.pgid();
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = pid == 0 ? &me : FindProcessInLocked(me.pid_ns(), pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  return p->PgidInLocked(me.pid_ns());
}

SyscallResult SysGetpgrp(Thread& self) { return SysGetpgid(self, 0); }

}  // namespace

void RegisterProcessSyscalls(SyscallTable& t) {
  t.Bind<sysno::getpid, SysGetpid>();
  t.Bind<sysno::gettid, SysGettid>();
  t.Bind<sysno::getppid, SysGetppid>();
  t.Bind<sysno::clone, SysClone>();
  t.Bind<sysno::clone3, SysClone3>();
  t.Bind<sysno::fork, SysFork>();
  t.Bind<sysno::unshare, SysUnshare>();
  t.Bind<sysno::vfork, SysVfork>();
  t.Bind<sysno::execve, SysExecve>();
  t.Bind<sysno::exit, SysExit>();
  t.Bind<sysno::exit_group, SysExitGroup>();
  t.Bind<sysno::wait4, SysWait4>();
  t.Bind<sysno::waitid, SysWaitid>();
  t.Bind<sysno::set_tid_address, SysSetTidAddress>();
  t.Bind<sysno::set_robust_list, SysSetRobustList>();
  t.Bind<sysno::get_robust_list, SysGetRobustList>();
  t.Bind<sysno::arch_prctl, SysArchPrctl>();
  t.Bind<sysno::getuid, SysGetuid>();
  t.Bind<sysno::geteuid, SysGeteuid>();
  t.Bind<sysno::getgid, SysGetgid>();
  t.Bind<sysno::getegid, SysGetegid>();
  t.Bind<sysno::setuid, SysSetuid>();
  t.Bind<sysno::setgid, SysSetgid>();
  t.Bind<sysno::setreuid, SysSetreuid>();
  t.Bind<sysno::setregid, SysSetregid>();
  t.Bind<sysno::setresuid, SysSetresuid>();
  t.Bind<sysno::getresuid, SysGetresuid>();
  t.Bind<sysno::setresgid, SysSetresgid>();
  t.Bind<sysno::getresgid, SysGetresgid>();
  t.Bind<sysno::setfsuid, SysSetfsuid>();
  t.Bind<sysno::setfsgid, SysSetfsgid>();
  t.Bind<sysno::getgroups, SysGetgroups>();
  t.Bind<sysno::setgroups, SysSetgroups>();
  t.Bind<sysno::setsid, SysSetsid>();
  t.Bind<sysno::getsid, SysGetsid>();
  t.Bind<sysno::setpgid, SysSetpgid>();
  t.Bind<sysno::getpgid, SysGetpgid>();
  t.Bind<sysno::getpgrp, SysGetpgrp>();
}

}  // namespace kernel
