// setns(2) and the ioctls of namespace files (NS_GET_*), as Linux 6.1's
// kernel/nsproxy.c and fs/nsfs.c.
//
// setns(fd, nstype) takes a namespace file (an open /proc/<pid>/ns/<name>,
// kernel/procfs/ns_file.h) and joins that namespace; nstype is 0 or the
// namespace's CLONE_NEW* constant (EINVAL otherwise). Or it takes a pidfd
// and joins the namespaces nstype names (a nonzero set of CLONE_NEW* flags,
// EINVAL otherwise) of the process behind it, all or none: every one is
// checked before anything changes (Linux's prepare_nsset, validate_nsset
// and commit_nsset), in Linux's order: user, mnt, uts, ipc, pid, cgroup,
// net, time. EBADF for a bad or O_PATH descriptor, EINVAL for any other
// kind of file. Through a pidfd: ESRCH once the process has exited (Linux
// has cleared its nsproxy) or been reaped, EPERM if the caller may not
// ptrace it (PTRACE_MODE_READ_REALCREDS).
//
// Mount namespace (mntns_install): CAP_SYS_ADMIN and CAP_SYS_CHROOT
// (EPERM); EINVAL unless the caller alone uses its fs context (one thread,
// no CLONE_FS sharer); the process gets a new context in the namespace with
// root and cwd at its root (Process::ReplaceFs). Linux 6.1 skips the
// fs->users test when a pidfd names CLONE_NEWNS with other flags
// (prepare_nsset works on a copy of the fs_struct) and then moves the root
// and cwd of every sharer while only the caller changes namespace; Keel
// keeps the namespace in the shared context and cannot split it, so it
// asks for a sole user there too (EINVAL where Linux succeeds).
//
// UTS and network namespaces (utsns_install, netns_install): CAP_SYS_ADMIN
// (EPERM); Keel keeps them per process (kernel/process/uts.h,
// net_namespace.h), so joining another than the process's own with more
// than one thread is EINVAL where Linux moves the calling thread alone.
//
// Pid namespace (pidns_install): CAP_SYS_ADMIN (EPERM); the namespace must
// be the caller's active one or below it (EINVAL); it becomes the one
// children go to, the caller's own stays. Keel keeps that per process, so
// it holds for the children of every thread (Linux: of the calling thread).
//
// The kinds Keel does not have (user, ipc, cgroup, time) exist
// once each, so a pidfd's process always shares the caller's, and joining
// one's own namespace does what Linux's install operations do for it:
//   user    EINVAL (userns_install refuses to reenter the caller's own, so
//           as not to gain capabilities)
//   ipc, cgroup
//           EPERM without CAP_SYS_ADMIN, else nothing changes; ipc also
//           applies and drops the caller's System V semaphore adjustments
//           (commit_nsset's exit_sem), for a single thread only: Linux's
//           undo list is shared by the threads (CLONE_SYSVSEM) and then
//           only the caller lets go of it, which a per-process list in
//           Keel cannot show.
//   time    EUSERS unless the caller is single-threaded and shares its
//           memory with no other process, else EPERM without CAP_SYS_ADMIN
// /proc/<pid>/ns has no files of those kinds (ENOENT), as on a Linux built
// without them.
//
// NS_GET_NSTYPE returns the CLONE_NEW* constant; NS_GET_PARENT opens the
// parent pid namespace (close-on-exec; EINVAL for a mount or UTS namespace, EPERM
// for the root or a parent above the caller's active namespace);
// NS_GET_OWNER_UID is EINVAL (not a user namespace). NS_GET_USERNS is EPERM,
// a divergence: Linux opens the owning user namespace, which Keel does not
// have; EPERM is Linux's answer when the owner is out of the caller's
// reach.
#include <cstdint>
#include <optional>
#include <utility>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/linux_abi.h"
#include "kernel/fs/mount_namespace.h"
#include "kernel/process/credentials.h"
#include "kernel/process/pid_namespace.h"
#include "kernel/process/process.h"
#include "kernel/procfs/ns_file.h"
#include "kernel/syscalls/file_caller.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {
namespace {

using file_sys::Capable;
using fs::File;
using fs::Inode;
using fs::RefPtr;
using ostd::Err;
using ostd::Errno;

constexpr uint32_t kCloneNewtime = 0x00000080, kCloneNewns = 0x00020000,
                   kCloneNewcgroup = 0x02000000, kCloneNewuts = 0x04000000,
                   kCloneNewipc = 0x08000000, kCloneNewuser = 0x10000000, kCloneNewpid = 0x20000000,
                   kCloneNewnet = 0x40000000;
constexpr uint32_t kSetnsFlags = kCloneNewns | kCloneNewuts | kCloneNewipc | kCloneNewnet |
                                 kCloneNewtime | kCloneNewuser | kCloneNewpid | kCloneNewcgroup;
static_assert(procfs::kNsTypeMnt == kCloneNewns && procfs::kNsTypePid == kCloneNewpid &&
              procfs::kNsTypeUts == kCloneNewuts && procfs::kNsTypeNet == kCloneNewnet);

// What a setns changes, gathered before anything does (Linux's nsset).
struct NsSet {
  uint32_t flags = 0;
  RefPtr<fs::FsContext> fs;             // CLONE_NEWNS: the process's new context
  ostd::RefPtr<PidNamespace> children;  // CLONE_NEWPID: where children go
  ostd::RefPtr<UtsNamespace> uts;       // CLONE_NEWUTS: the process's new one
  ostd::RefPtr<NetNamespace> net;       // CLONE_NEWNET: the process's new one
};

// mntns_install: a context in `ns` with root and cwd at its root.
ostd::Status InstallMnt(Thread& self, fs::MountNamespace& ns, NsSet& set) {
  if (!Capable(self, Cap::kSysAdmin) || !Capable(self, Cap::kSysChroot)) {
    return Err(Errno::kEPERM);
  }
  if (!self.process().SoleFsUser()) return Err(Errno::kEINVAL);
  RefPtr<Inode> root = ns.RootDir();
  if (!root) return Err(Errno::kENOENT);  // no root file system: nothing to stand on
  OSTD_TRY_ASSIGN(set.fs, fs::MakeRef<fs::FsContext>(root, root, ns.RefFromThis()));
  (void)set.fs->SetUmask(self.process().fs().umask());
  return {};
}

// utsns_install and netns_install, for a process that is one thread (see
// the top of the file): `ns` goes to `out` unless the process is in it
// (`current`) already, which changes nothing and so needs no single thread.
template <typename T>
ostd::Status InstallPerProcess(Thread& self, T& ns, const ostd::RefPtr<T>& current,
                               ostd::RefPtr<T>& out) {
  if (!Capable(self, Cap::kSysAdmin)) return Err(Errno::kEPERM);
  if (&ns == current.get()) return {};
  if (self.process().thread_count() > 1) return Err(Errno::kEINVAL);
  out = ns.RefFromThis();
  return {};
}

ostd::Status InstallUts(Thread& self, UtsNamespace& ns, NsSet& set) {
  return InstallPerProcess(self, ns, self.process().uts_ns(), set.uts);
}

ostd::Status InstallNet(Thread& self, NetNamespace& ns, NsSet& set) {
  return InstallPerProcess(self, ns, self.process().net_ns(), set.net);
}

// pidns_install: only the active namespace or one below it, so that the
// children cannot leave the caller's namespace.
ostd::Status InstallPid(Thread& self, PidNamespace& ns, NsSet& set) {
  if (!Capable(self, Cap::kSysAdmin)) return Err(Errno::kEPERM);
  const PidNamespace& active = self.process().pid_ns();
  if (ns.level() < active.level()) return Err(Errno::kEINVAL);
  const PidNamespace* ancestor = &ns;
  while (ancestor->level() > active.level()) ancestor = ancestor->parent();
  if (ancestor != &active) return Err(Errno::kEINVAL);
  set.children = ns.RefFromThis();
  return {};
}

// The install operations for the caller's own namespace of a kind Keel has
// one of (see the top of the file).
ostd::Status InstallOwn(Thread& self, uint32_t kind) {
  switch (kind) {
    case kCloneNewuser:
      return Err(Errno::kEINVAL);
    case kCloneNewtime:
      if (!self.process().SoleMmUser()) return Err(Errno::kEUSERS);
      break;
    default:
      break;
  }
  if (!Capable(self, Cap::kSysAdmin)) return Err(Errno::kEPERM);
  return {};
}

// validate_nsset: the namespaces `set.flags` names of the process a pidfd
// names, each checked in Linux's order.
ostd::Status ValidateTarget(Thread& self, const file_sys::PidfdTarget& target, NsSet& set) {
  // Declared before the lock: the references go after it (a mount
  // namespace's last one may block).
  RefPtr<fs::MountNamespace> mnt;
  ostd::RefPtr<PidNamespace> pid;
  ostd::RefPtr<UtsNamespace> uts;
  ostd::RefPtr<NetNamespace> net;
  {
    ostd::SpinLockGuard guard(TreeLock());
    Process* p = FindProcessLocked(target.pid);
    if (p == nullptr || p->start_ns != target.start_ns) return Err(Errno::kESRCH);
    // An exited process has no address space, which Linux's dumpable test
    // then skips.
    bool dumpable = p->thread_count() == 0 || p->dumpable.load(std::memory_order_relaxed) == 1;
    if (p != &self.process() && !creds::MayPtrace(self.process().creds(), p->creds(), dumpable)) {
      return Err(Errno::kEPERM);
    }
    // exit_task_namespaces has run: Linux finds no nsproxy.
    if (p->thread_count() == 0) return Err(Errno::kESRCH);
    if ((set.flags & kCloneNewns) != 0) {
      fs::FsContext* fsc = p->fs_locked();
      if (fsc == nullptr || fsc->mnt_ns() == nullptr) return Err(Errno::kESRCH);
      mnt = fsc->mnt_ns()->RefFromThis();
    }
    if ((set.flags & kCloneNewpid) != 0) pid = p->pid_ns().RefFromThis();
    if ((set.flags & kCloneNewuts) != 0) uts = p->uts_ns_locked();
    if ((set.flags & kCloneNewnet) != 0) net = p->net_ns_locked();
  }
  if ((set.flags & kCloneNewuser) != 0) OSTD_TRY(InstallOwn(self, kCloneNewuser));
  if (mnt) OSTD_TRY(InstallMnt(self, *mnt, set));
  if (uts) OSTD_TRY(InstallUts(self, *uts, set));
  if ((set.flags & kCloneNewipc) != 0) OSTD_TRY(InstallOwn(self, kCloneNewipc));
  if (pid) OSTD_TRY(InstallPid(self, *pid, set));
  if ((set.flags & kCloneNewcgroup) != 0) OSTD_TRY(InstallOwn(self, kCloneNewcgroup));
  if (net) OSTD_TRY(InstallNet(self, *net, set));
  if ((set.flags & kCloneNewtime) != 0) OSTD_TRY(InstallOwn(self, kCloneNewtime));
  return {};
}

// commit_nsset: the point of no return.
ostd::Status Commit(Thread& self, NsSet& set) {
  Process& p = self.process();
  // The only steps that can fail, and they cannot here: the sole-user and
  // one-thread tests above still hold, as only this (only) thread could
  // have changed them.
  if (set.fs) OSTD_TRY(p.ReplaceFs(std::move(set.fs)));
  if (set.uts) OSTD_TRY(p.SetUtsNs(std::move(set.uts)));
  if (set.net) OSTD_TRY(p.SetNetNs(std::move(set.net)));
  if (set.children) p.SetPidNsForChildren(std::move(set.children));
  // exit_sem: one thread's list is the process's in Keel. Only this thread
  // can add to it (under sysv_sem.cc's lock), so it is read here as at exit.
  if ((set.flags & kCloneNewipc) != 0 && p.thread_count() == 1 && p.sem_undo) {
    ostd::RefPtr<Process::ExitWork> undo;
    {
      ostd::SpinLockGuard guard(TreeLock());
      undo = std::move(p.sem_undo);
    }
    undo->Run(p);
  }
  return {};
}

SyscallResult SysSetns(Thread& self, int fd, int nstype) {
  OSTD_TRY_ASSIGN(RefPtr<File> f, file_sys::GetFile(self, fd));
  NsSet set;
  std::optional<procfs::NsRef> ns;
  if (f->inode() != nullptr) ns = procfs::NsOf(*f->inode());
  if (ns) {
    if (nstype != 0 && static_cast<uint32_t>(nstype) != ns->type()) return Err(Errno::kEINVAL);
    set.flags = ns->type();
    if (ns->mnt) {
      OSTD_TRY(InstallMnt(self, *ns->mnt, set));
    } else if (ns->uts) {
      OSTD_TRY(InstallUts(self, *ns->uts, set));
    } else if (ns->net) {
      OSTD_TRY(InstallNet(self, *ns->net, set));
    } else {
      OSTD_TRY(InstallPid(self, *ns->pid, set));
    }
  } else if (std::optional<file_sys::PidfdTarget> target = file_sys::PidfdTargetOf(*f)) {
    // check_setns_flags (an int: a negative one has unknown bits).
    set.flags = static_cast<uint32_t>(nstype);
    if (set.flags == 0 || (set.flags & ~kSetnsFlags) != 0) return Err(Errno::kEINVAL);
    OSTD_TRY(ValidateTarget(self, *target, set));
  } else {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY(Commit(self, set));
  return 0;
}

// The NS_GET_* requests (include/uapi/linux/nsfs.h: _IO(0xb7, n)).
constexpr uint32_t kNsGetUserns = 0xb701, kNsGetParent = 0xb702, kNsGetNstype = 0xb703,
                   kNsGetOwnerUid = 0xb704;

// open_related_ns with pidns_get_parent: a new descriptor (O_RDONLY,
// close-on-exec) for the parent of `ns`, if the caller's active namespace
// is it or above it.
SyscallResult OpenParent(Thread& self, PidNamespace& ns) {
  OSTD_TRY(file_sys::CheckFreeFd(self));  // Linux takes the descriptor first
  const PidNamespace& active = self.process().pid_ns();
  const PidNamespace* p = ns.parent();
  while (p != nullptr && p != &active) p = p->parent();
  if (p == nullptr) return Err(Errno::kEPERM);
  OSTD_TRY_ASSIGN(
      RefPtr<Inode> inode,
      procfs::MakeNsInode(
          {.mnt = nullptr, .pid = ns.parent()->RefFromThis(), .uts = nullptr, .net = nullptr}));
  file_sys::ThreadCaller caller(self);
  OSTD_TRY_ASSIGN(RefPtr<File> file, inode->Open(fs::kO_RDONLY, caller));
  OSTD_TRY_ASSIGN(int fd, self.process().files().Install(std::move(file), true));
  return fd;
}

}  // namespace

namespace file_sys {

SyscallResult NsIoctl(Thread& self, File& f, uint32_t cmd, uint64_t) {
  std::optional<procfs::NsRef> ns;
  if (f.inode() != nullptr) ns = procfs::NsOf(*f.inode());
  if (!ns) return Err(Errno::kENOTTY);
  switch (cmd) {
    case kNsGetUserns:
      // Keel has no user namespace to open (see the top of the file).
      OSTD_TRY(CheckFreeFd(self));
      return Err(Errno::kEPERM);
    case kNsGetParent:
      if (!ns->pid) return Err(Errno::kEINVAL);  // only pid namespaces have parents
      return OpenParent(self, *ns->pid);
    case kNsGetNstype:
      return ns->type();
    case kNsGetOwnerUid:
      return Err(Errno::kEINVAL);  // only for user namespaces
    default:
      return Err(Errno::kENOTTY);
  }
}

}  // namespace file_sys

void RegisterSetnsSyscalls(SyscallTable& t) { t.Bind<sysno::setns, SysSetns>(); }

}  // namespace kernel
