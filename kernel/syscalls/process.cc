// Process and thread lifecycle, identities and credentials.
#include "kernel/process/process.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "kernel/process/exec.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyToUser;
using ostd::vm::UserPtr;

constexpr uint64_t kCloneCsignal = 0xff;
constexpr uint64_t kCloneVm = 0x100;
constexpr uint64_t kCloneVfork = 0x4000;
constexpr uint64_t kCloneNewpid = 0x20000000;
// Flags Keel accepts (of the namespaces only CLONE_NEWPID, see
// pid_namespace.h; ptrace and io contexts are not supported).
constexpr uint64_t kCloneSupported =
    0x00000100 | 0x00000200 | 0x00000400 | 0x00000800 | 0x00004000 | 0x00008000 | 0x00010000 |
    0x00040000 | 0x00080000 | 0x00100000 | 0x00200000 | 0x01000000 | 0x00400000 /*UNTRACED*/ |
    0x00002000 /*PTRACE: ignored*/ | kCloneNewpid;

int32_t AsInt(uint64_t v) { return static_cast<int32_t>(v); }

SyscallResult SysGetpid(Thread& self, const SyscallArgs&) { return self.process().pid(); }
SyscallResult SysGettid(Thread& self, const SyscallArgs&) { return self.tid(); }
SyscallResult SysGetppid(Thread& self, const SyscallArgs&) { return self.process().ppid(); }

SyscallResult DoClone(Thread& self, const CloneArgs& args) {
  OSTD_TRY_ASSIGN(int tid, Clone(self, args));
  return tid;
}

// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order.
SyscallResult SysClone(Thread& self, const SyscallArgs& a) {
  uint64_t flags = a[0];
  if ((flags & ~(kCloneSupported | kCloneCsignal)) != 0) return Err(Errno::kEINVAL);
  return DoClone(self, CloneArgs{.flags = flags & ~kCloneCsignal,
                                 .stack = a[1],
                                 .parent_tid = a[2],
                                 .child_tid = a[3],
                                 .tls = a[4],
                                 .exit_signal = static_cast<int>(flags & kCloneCsignal)});
}

// clone3(struct clone_args*, size).
SyscallResult SysClone3(Thread& self, const SyscallArgs& a) {
  struct CloneArgs3 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    OSTD_POD(CloneArgs3, flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls);
  };
  if (a[1] < sizeof(CloneArgs3) || a[1] > 4096) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(CloneArgs3 c, ostd::vm::CopyFromUser(UserPtr<CloneArgs3>(a[0])));
  if ((c.flags & ~kCloneSupported) != 0 || c.exit_signal > 64) return Err(Errno::kEINVAL);
  if ((c.stack == 0) != (c.stack_size == 0)) return Err(Errno::kEINVAL);
  return DoClone(self, CloneArgs{.flags = c.flags,
                                 .stack = c.stack == 0 ? 0 : c.stack + c.stack_size,
                                 .parent_tid = c.parent_tid,
                                 .child_tid = c.child_tid,
                                 .tls = c.tls,
                                 .exit_signal = static_cast<int>(c.exit_signal)});
}

// unshare(2): CLONE_NEWPID (children go to a new pid namespace). CLONE_VM,
// CLONE_SIGHAND, CLONE_THREAD and CLONE_SYSVSEM ask for nothing in a
// single-threaded process, as on Linux; the other namespaces and the
// unsharing of descriptor tables or fs contexts are not supported (EINVAL).
SyscallResult SysUnshare(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kCloneVm = 0x100, kCloneSighand = 0x800, kCloneThread = 0x10000,
                     kCloneSysvsem = 0x40000;
  uint64_t flags = a[0];
  if ((flags & ~(kCloneNewpid | kCloneVm | kCloneSighand | kCloneThread | kCloneSysvsem)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & (kCloneVm | kCloneSighand | kCloneThread)) != 0 &&
      self.process().thread_count() > 1) {
    return Err(Errno::kEINVAL);
  }
  if ((flags & kCloneNewpid) != 0) {
    if (!self.process().creds().HasCap(Credentials::kCapSysAdmin)) return Err(Errno::kEPERM);
    OSTD_TRY(self.process().UnsharePidNamespace());
  }
  return 0;
}

SyscallResult SysFork(Thread& self, const SyscallArgs&) {
  return DoClone(self, CloneArgs{.exit_signal = kSigChld});
}

SyscallResult SysVfork(Thread& self, const SyscallArgs&) {
  return DoClone(self, CloneArgs{.flags = kCloneVm | kCloneVfork, .exit_signal = kSigChld});
}

SyscallResult SysExit(Thread& self, const SyscallArgs& a) {
  ExitThread(self, ExitedStatus(static_cast<int>(a[0])));
  return 0;
}

SyscallResult SysExitGroup(Thread& self, const SyscallArgs& a) {
  ExitGroup(self.process(), ExitedStatus(static_cast<int>(a[0])));
  ExitThread(self, ExitedStatus(static_cast<int>(a[0])));
  return 0;
}

constexpr uint64_t kWnohang = 1;
constexpr uint64_t kWuntraced = 2;
constexpr uint64_t kWexited = 4;
constexpr uint64_t kWcontinued = 8;
constexpr uint64_t kWnowait = 0x01000000;
constexpr uint64_t kWnothread = 0x20000000;
constexpr uint64_t kWall = 0x40000000;
constexpr uint64_t kWclone = 0x80000000;

SyscallResult SysWait4(Thread& self, const SyscallArgs& a) {
  int pid = AsInt(a[0]);
  uint64_t options = a[2];
  if ((options & ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0) {
    return Err(Errno::kEINVAL);
  }
  if (pid == INT32_MIN) return Err(Errno::kESRCH);
  OSTD_TRY_ASSIGN(WaitResult r, WaitChild(self, pid,
                                          WaitOptions{.stopped = (options & kWuntraced) != 0,
                                                      .continued = (options & kWcontinued) != 0,
                                                      .nohang = (options & kWnohang) != 0}));
  if (r.pid != 0 && a[1] != 0) OSTD_TRY(CopyToUser(UserPtr<int32_t>(a[1]), int32_t{r.status}));
  if (r.pid != 0 && a[3] != 0) OSTD_TRY(CopyToUser(UserPtr<Rusage>(a[3]), RusageOf(r.times)));
  return r.pid;
}

SyscallResult SysWaitid(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kPAll = 0, kPPid = 1, kPPgid = 2;
  uint64_t idtype = a[0];
  int id = AsInt(a[1]);
  uint64_t options = a[3];
  if ((options & ~(kWnohang | kWuntraced | kWexited | kWcontinued | kWnowait | kWnothread | kWall |
                   kWclone)) != 0 ||
      (options & (kWexited | kWuntraced | kWcontinued)) == 0) {
    return Err(Errno::kEINVAL);
  }
  int which;
  if (idtype == kPAll) {
    which = -1;
  } else if (idtype == kPPid) {
    if (id <= 0) return Err(Errno::kEINVAL);
    which = id;
  } else if (idtype == kPPgid) {
    if (id < 0) return Err(Errno::kEINVAL);
    which = id == 0 ? 0 : -id;
  } else {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(WaitResult r, WaitChild(self, which,
                                          WaitOptions{.exited = (options & kWexited) != 0,
                                                      .stopped = (options & kWuntraced) != 0,
                                                      .continued = (options & kWcontinued) != 0,
                                                      .nohang = (options & kWnohang) != 0,
                                                      .nowait = (options & kWnowait) != 0}));
  if (a[2] != 0) {
    struct SigInfoChld {
      int32_t signo, errno_, code, pad;
      int32_t pid;
      uint32_t uid;
      int32_t status;
      int32_t pad2;
      std::array<uint64_t, 12> rest;
      OSTD_POD(SigInfoChld, signo, errno_, code, pad, pid, uid, status, pad2, rest);
    } info{};
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
    static_assert(sizeof(SigInfoChld) == 128);
    OSTD_TRY(CopyToUser(UserPtr<SigInfoChld>(a[2]), info));
  }
  if (a[4] != 0) OSTD_TRY(CopyToUser(UserPtr<Rusage>(a[4]), RusageOf(r.times)));
  return 0;
}

// Copies a NULL-terminated array of user strings (argv or envp) into
// `arena`, recording each string's [offset, length) in `spans`. E2BIG past
// Linux's limits, EFAULT for bad pointers.
struct StringSpan {
  size_t offset;
  size_t len;
};
ostd::Status CopyStringArray(uint64_t array, ostd::Vec<char>& arena, ostd::Vec<StringSpan>& spans,
                             ostd::Vec<char>& scratch, uint64_t& total) {
  constexpr uint64_t kMaxArgStrlen = 131072;
  constexpr uint64_t kMaxArgBytes = 2 * 1024 * 1024;
  constexpr size_t kMaxStrings = 65536;
  if (array == 0) return {};  // Linux treats a NULL argv/envp as empty
  for (size_t i = 0;; ++i) {
    if (i >= kMaxStrings) return Err(Errno::kE2BIG);
    OSTD_TRY_ASSIGN(UserPtr<uint64_t> slot, UserPtr<uint64_t>(array).At(i));
    OSTD_TRY_ASSIGN(uint64_t str, ostd::vm::CopyFromUser(slot));
    if (str == 0) return {};
    if (scratch.size() < kMaxArgStrlen) OSTD_TRY(scratch.Resize(kMaxArgStrlen));
    ostd::Result<size_t> n = ostd::vm::CopyStringFromUser(UserPtr<const char>(str), scratch.span());
    if (!n) return Err(n.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : n.error());
    total += *n + 1 + sizeof(uint64_t);
    if (total > kMaxArgBytes) return Err(Errno::kE2BIG);
    size_t at = arena.size();
    OSTD_TRY(arena.Resize(at + *n));
    (void)ostd::CopyChars(scratch.span().first(*n), arena.span().subspan(at));
    OSTD_TRY(spans.Push(StringSpan{at, *n}));
  }
}

SyscallResult SysExecve(Thread& self, const SyscallArgs& a) {
  ostd::Vec<char> path;
  OSTD_TRY(path.Resize(4096));
  OSTD_TRY_ASSIGN(size_t path_len,
                  ostd::vm::CopyStringFromUser(UserPtr<const char>(a[0]), path.span()));
  if (path_len == 0) return Err(Errno::kENOENT);
  ostd::Vec<char> arena;
  ostd::Vec<char> scratch;
  ostd::Vec<StringSpan> argv_spans;
  ostd::Vec<StringSpan> envp_spans;
  uint64_t total = 0;
  OSTD_TRY(CopyStringArray(a[1], arena, argv_spans, scratch, total));
  OSTD_TRY(CopyStringArray(a[2], arena, envp_spans, scratch, total));
  // The arena is complete: views into it stay valid from here on.
  ostd::Vec<std::string_view> argv;
  ostd::Vec<std::string_view> envp;
  std::string_view all(arena.span());
  for (const StringSpan& s : argv_spans) OSTD_TRY(argv.Push(all.substr(s.offset, s.len)));
  for (const StringSpan& s : envp_spans) OSTD_TRY(envp.Push(all.substr(s.offset, s.len)));
  OSTD_TRY(Exec(self, std::string_view(path.span().first(path_len)), argv.span(), envp.span()));
  return 0;
}

SyscallResult SysSetTidAddress(Thread& self, const SyscallArgs& a) {
  self.clear_child_tid = a[0];
  return self.tid();
}

SyscallResult SysSetRobustList(Thread&, const SyscallArgs& a) {
  // struct robust_list_head is 24 bytes; the list is walked only at exit by
  // Linux, which Keel does not do yet (robust mutexes are not supported).
  if (a[1] != 24) return Err(Errno::kEINVAL);
  return 0;
}

SyscallResult SysArchPrctl(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kSetGs = 0x1001, kSetFs = 0x1002, kGetFs = 0x1003, kGetGs = 0x1004;
  ostd::user::UserContext& ctx = self.context();
  switch (a[0]) {
    case kSetFs:
      OSTD_TRY(ctx.set_fs_base(a[1]));
      return 0;
    case kSetGs:
      OSTD_TRY(ctx.set_gs_base(a[1]));
      return 0;
    case kGetFs:
      OSTD_TRY(CopyToUser(UserPtr<uint64_t>(a[1]), ctx.fs_base()));
      return 0;
    case kGetGs:
      OSTD_TRY(CopyToUser(UserPtr<uint64_t>(a[1]), ctx.gs_base()));
      return 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

// --- Identities ---

SyscallResult SysGetuid(Thread& self, const SyscallArgs&) { return self.process().creds().uid; }
SyscallResult SysGeteuid(Thread& self, const SyscallArgs&) { return self.process().creds().euid; }
SyscallResult SysGetgid(Thread& self, const SyscallArgs&) { return self.process().creds().gid; }
SyscallResult SysGetegid(Thread& self, const SyscallArgs&) { return self.process().creds().egid; }

bool ValidId(uint64_t v) { return static_cast<uint32_t>(v) != UINT32_MAX; }

SyscallResult SysSetuid(Thread& self, const SyscallArgs& a) {
  Credentials& c = self.process().creds();
  uint32_t uid = static_cast<uint32_t>(a[0]);
  if (!ValidId(a[0])) return Err(Errno::kEINVAL);
  if (c.IsRoot()) {
    c.uid = c.euid = c.suid = c.fsuid = uid;
    if (uid != 0) c.cap_effective = 0;
  } else if (uid == c.uid || uid == c.suid) {
    c.euid = c.fsuid = uid;
  } else {
    return Err(Errno::kEPERM);
  }
  return 0;
}

SyscallResult SysSetgid(Thread& self, const SyscallArgs& a) {
  Credentials& c = self.process().creds();
  uint32_t gid = static_cast<uint32_t>(a[0]);
  if (!ValidId(a[0])) return Err(Errno::kEINVAL);
  if (c.IsRoot()) {
    c.gid = c.egid = c.sgid = c.fsgid = gid;
  } else if (gid == c.gid || gid == c.sgid) {
    c.egid = c.fsgid = gid;
  } else {
    return Err(Errno::kEPERM);
  }
  return 0;
}

// setresuid/setresgid: -1 keeps a value; unprivileged callers may only pick
// among the current real, effective and saved ids.
SyscallResult SetRes(Thread& self, const SyscallArgs& a, bool gid) {
  Credentials& c = self.process().creds();
  uint32_t& real = gid ? c.gid : c.uid;
  uint32_t& effective = gid ? c.egid : c.euid;
  uint32_t& saved = gid ? c.sgid : c.suid;
  std::array<uint32_t, 3> cur = {real, effective, saved};
  for (size_t i = 0; i < 3; ++i) {
    uint32_t v = static_cast<uint32_t>(a[i]);
    if (v == UINT32_MAX || c.IsRoot()) continue;
    if (v != cur[0] && v != cur[1] && v != cur[2]) return Err(Errno::kEPERM);
  }
  auto keep_or = [](uint64_t arg, uint32_t old) {
    return static_cast<uint32_t>(arg) == UINT32_MAX ? old : static_cast<uint32_t>(arg);
  };
  real = keep_or(a[0], real);
  effective = keep_or(a[1], effective);
  saved = keep_or(a[2], saved);
  if (gid) {
    c.fsgid = c.egid;
  } else {
    c.fsuid = c.euid;
    if (c.euid != 0) c.cap_effective = 0;
  }
  return 0;
}
SyscallResult SysSetresuid(Thread& self, const SyscallArgs& a) { return SetRes(self, a, false); }
SyscallResult SysSetresgid(Thread& self, const SyscallArgs& a) { return SetRes(self, a, true); }

SyscallResult GetRes(Thread& self, const SyscallArgs& a, bool gid) {
  const Credentials& c = self.process().creds();
  OSTD_TRY(CopyToUser(UserPtr<uint32_t>(a[0]), gid ? c.gid : c.uid));
  OSTD_TRY(CopyToUser(UserPtr<uint32_t>(a[1]), gid ? c.egid : c.euid));
  OSTD_TRY(CopyToUser(UserPtr<uint32_t>(a[2]), gid ? c.sgid : c.suid));
  return 0;
}
SyscallResult SysGetresuid(Thread& self, const SyscallArgs& a) { return GetRes(self, a, false); }
SyscallResult SysGetresgid(Thread& self, const SyscallArgs& a) { return GetRes(self, a, true); }

SyscallResult SysSetreuid(Thread& self, const SyscallArgs& a) {
  return SetRes(self, SyscallArgs{{a[0], a[1], UINT32_MAX, 0, 0, 0}}, false);
}
SyscallResult SysSetregid(Thread& self, const SyscallArgs& a) {
  return SetRes(self, SyscallArgs{{a[0], a[1], UINT32_MAX, 0, 0, 0}}, true);
}

SyscallResult SysGetgroups(Thread&, const SyscallArgs& a) {
  // Keel keeps no supplementary groups.
  if (static_cast<int32_t>(a[0]) < 0) return Err(Errno::kEINVAL);
  return 0;
}

SyscallResult SysSetgroups(Thread& self, const SyscallArgs& a) {
  if (!self.process().creds().IsRoot()) return Err(Errno::kEPERM);
  if (a[0] > 65536) return Err(Errno::kEINVAL);
  return 0;
}

// --- Sessions and process groups ---

SyscallResult SysSetsid(Thread& self, const SyscallArgs&) {
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
    p.set_sid(pid);
    p.set_pgid(pid);
  }
  return pid;
}

SyscallResult SysGetsid(Thread& self, const SyscallArgs& a) {
  int pid = AsInt(a[0]);
  if (pid == 0) return self.process().sid();
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = FindProcessLocked(pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  return p->sid();
}

SyscallResult SysSetpgid(Thread& self, const SyscallArgs& a) {
  int pid = AsInt(a[0]);
  int pgid = AsInt(a[1]);
  if (pgid < 0) return Err(Errno::kEINVAL);
  Process& me = self.process();
  ostd::SpinLockGuard guard(TreeLock());
  Process* target = pid == 0 ? &me : FindProcessLocked(pid);
  if (target == nullptr) return Err(Errno::kESRCH);
  if (target != &me && target->parent_locked() != &me) return Err(Errno::kESRCH);
  if (target->sid() != me.sid()) return Err(Errno::kEPERM);
  if (target->sid() == target->pid()) return Err(Errno::kEPERM);  // a session leader
  if (pgid == 0) pgid = target->pid();
  if (pgid != target->pid()) {
    // The group must exist in the same session.
    bool found = false;
    for (const ostd::Box<Process>& q : process_internal::AllProcesses()) {
      if (q->pgid() == pgid && q->sid() == me.sid()) found = true;
    }
    if (!found) return Err(Errno::kEPERM);
  }
  target->set_pgid(pgid);
  return 0;
}

SyscallResult SysGetpgid(Thread& self, const SyscallArgs& a) {
  int pid = AsInt(a[0]);
  if (pid == 0) return self.process().pgid();
  ostd::SpinLockGuard guard(TreeLock());
  Process* p = FindProcessLocked(pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  return p->pgid();
}

SyscallResult SysGetpgrp(Thread& self, const SyscallArgs&) { return self.process().pgid(); }

}  // namespace

void RegisterProcessSyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::getpid, SysGetpid>();
  t.BindUntyped<sysno::gettid, SysGettid>();
  t.BindUntyped<sysno::getppid, SysGetppid>();
  t.BindUntyped<sysno::clone, SysClone>();
  t.BindUntyped<sysno::clone3, SysClone3>();
  t.BindUntyped<sysno::fork, SysFork>();
  t.BindUntyped<sysno::unshare, SysUnshare>();
  t.BindUntyped<sysno::vfork, SysVfork>();
  t.BindUntyped<sysno::execve, SysExecve>();
  t.BindUntyped<sysno::exit, SysExit>();
  t.BindUntyped<sysno::exit_group, SysExitGroup>();
  t.BindUntyped<sysno::wait4, SysWait4>();
  t.BindUntyped<sysno::waitid, SysWaitid>();
  t.BindUntyped<sysno::set_tid_address, SysSetTidAddress>();
  t.BindUntyped<sysno::set_robust_list, SysSetRobustList>();
  t.BindUntyped<sysno::arch_prctl, SysArchPrctl>();
  t.BindUntyped<sysno::getuid, SysGetuid>();
  t.BindUntyped<sysno::geteuid, SysGeteuid>();
  t.BindUntyped<sysno::getgid, SysGetgid>();
  t.BindUntyped<sysno::getegid, SysGetegid>();
  t.BindUntyped<sysno::setuid, SysSetuid>();
  t.BindUntyped<sysno::setgid, SysSetgid>();
  t.BindUntyped<sysno::setreuid, SysSetreuid>();
  t.BindUntyped<sysno::setregid, SysSetregid>();
  t.BindUntyped<sysno::setresuid, SysSetresuid>();
  t.BindUntyped<sysno::getresuid, SysGetresuid>();
  t.BindUntyped<sysno::setresgid, SysSetresgid>();
  t.BindUntyped<sysno::getresgid, SysGetresgid>();
  t.BindUntyped<sysno::getgroups, SysGetgroups>();
  t.BindUntyped<sysno::setgroups, SysSetgroups>();
  t.BindUntyped<sysno::setsid, SysSetsid>();
  t.BindUntyped<sysno::getsid, SysGetsid>();
  t.BindUntyped<sysno::setpgid, SysSetpgid>();
  t.BindUntyped<sysno::getpgid, SysGetpgid>();
  t.BindUntyped<sysno::getpgrp, SysGetpgrp>();
}

}  // namespace kernel
