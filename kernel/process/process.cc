#include "kernel/process/process.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/futex.h"
#include "kernel/process/thread_loop.h"
#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/log.h"
#include "ostd/power.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/util/span_copy.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;

// Process and Thread internals for this file.
struct ProcessAccess {
  static Result<ostd::Box<Process>> New() { return ostd::MakeBox<Process>(Process::Key()); }
  static Result<ostd::Box<Thread>> NewThread(Process* p, ostd::user::UserContext ctx,
                                             ostd::RefPtr<PidNumbers> nrs) {
    return ostd::MakeBox<Thread>(Thread::Key(), p, std::move(ctx), std::move(nrs));
  }
  static uint64_t task_id(const Thread& t) { return t.task_id_.load(std::memory_order_relaxed); }
  // Frees what a zombie no longer needs: done when its last thread exits.
  // The pointers are taken under the tree lock, which procfs holds while it
  // takes its own references to them.
  static void ReleaseResources(Process& p) {
    ostd::RefPtr<MmHandle> mm;
    ostd::RefPtr<fs::FdTable> files;
    ostd::RefPtr<fs::FsContext> fsc;
    ostd::RefPtr<SignalHandlers> handlers;
    {
      ostd::SpinLockGuard guard(TreeLock());
      mm = std::exchange(p.mm_, nullptr);
      files = std::exchange(p.files_, nullptr);
      fsc = std::exchange(p.fs_, nullptr);
      handlers = std::exchange(p.handlers_, nullptr);
    }
    // Dropped here, outside the tree lock (closing files may block).
  }
};

namespace {

constexpr uint64_t kCloneVm = 0x00000100;
constexpr uint64_t kCloneFs = 0x00000200;
constexpr uint64_t kCloneFiles = 0x00000400;
constexpr uint64_t kCloneSighand = 0x00000800;
constexpr uint64_t kClonePidfd = 0x00001000;
constexpr uint64_t kCloneVfork = 0x00004000;
constexpr uint64_t kCloneParent = 0x00008000;
constexpr uint64_t kCloneThread = 0x00010000;
constexpr uint64_t kCloneSettls = 0x00080000;
constexpr uint64_t kCloneNewns = 0x00020000;
constexpr uint64_t kCloneClearSighand = 0x100000000;  // clone3 only
constexpr uint64_t kCloneNewpid = 0x20000000;
constexpr uint64_t kCloneNewuts = 0x04000000;
constexpr uint64_t kCloneNewnet = 0x40000000;
constexpr uint64_t kCloneParentSettid = 0x00100000;
constexpr uint64_t kCloneChildCleartid = 0x00200000;
constexpr uint64_t kCloneChildSettid = 0x01000000;

ostd::SpinLock tree_lock;

}  // namespace

// Declared again so that the lock analysis knows TreeLock() is tree_lock
// in the code below (the definition is further down).
ostd::SpinLock& TreeLock() ABSL_LOCK_RETURNED(tree_lock);

namespace {

ostd::Vec<ostd::Box<Process>> processes ABSL_GUARDED_BY(tree_lock);  // sorted by pid; owns them
ostd::Vec<Thread*> threads ABSL_GUARDED_BY(tree_lock);               // every live thread

// Probe handlers ask for the current thread's identity at every hit (trace
// records), and finding it means a scan of every thread: each CPU keeps a
// copy of its last answer, good for the same ostd task (ids are never
// reused) while `identity_gen` is unchanged. It moves after every change to
// the thread list or a process name, so a copy made before one is not used
// after it.
struct IdentityCache {
  uint64_t task_id = 0;
  uint64_t gen = 0;
  ThreadIdentity id;
};
std::array<IdentityCache, ostd::kMaxCpus> identity_cache;  // entry i: CPU i, interrupts off
std::atomic<uint64_t> identity_gen{1};

void IdentityChanged() { identity_gen.fetch_add(1, std::memory_order_release); }

// Whether namespace `ns` gives number `nr` to a live thread, process,
// process group or session (a zombie keeps its pid until it is reaped, and
// a group or session its id while a member lives, as Linux's struct pid).
bool NrInUseLocked(const PidNamespace& ns, int nr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  if (ns.level() == 0) {
    for (const ostd::Box<Process>& p : processes) {
      if (p->pid() == nr || p->pgid() == nr || p->sid() == nr) return true;
    }
    for (Thread* t : threads) {
      if (t->tid() == nr) return true;
    }
    return false;
  }
  for (const ostd::Box<Process>& p : processes) {
    if (p->PidIn(ns) == nr || p->pgid_nrs_locked()->In(ns) == nr ||
        p->sid_nrs_locked()->In(ns) == nr) {
      return true;
    }
  }
  for (Thread* t : threads) {
    if (t->TidIn(ns) == nr) return true;
  }
  return false;
}

std::atomic<int> pid_max{0};  // 0 until first asked for: the default

// A free number in `ns` (one level of Linux's alloc_pid): `wanted` if it
// is not 0 (clone3's set_tid; EEXIST if taken), else the first free one
// after the last given out, below PidMax(); past it, the search wraps to
// kReservedPids (to 1 while the cursor has not passed kReservedPids, so a
// new namespace's first process is its 1). EAGAIN when every number is
// taken.
Result<int> AllocNrLocked(PidNamespace& ns, int wanted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  if (wanted != 0) {
    if (NrInUseLocked(ns, wanted)) return Err(Errno::kEEXIST);
    return wanted;
  }
  int max = PidMax();
  int nr = ns.last_nr();
  int low = nr > kReservedPids ? kReservedPids : 1;
  for (int tries = 0; tries < max; ++tries) {
    nr = nr + 1 >= max ? low : nr + 1;
    if (!NrInUseLocked(ns, nr)) {
      ns.set_last_nr(nr);
      return nr;
    }
  }
  return Err(Errno::kEAGAIN);
}

// The numbers of a new thread or process in `ns` and every namespace above
// it; `set_tid` (clone3) chooses them from `ns` upwards, with Linux's
// checks: EINVAL for more entries than levels, a number out of range, or
// one other than 1 in a namespace without its init yet; EPERM without
// CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN; EEXIST, EAGAIN, ENOMEM. The
// numbers count as taken once the thread or process is in the tables, which
// the caller does before it drops the lock.
Result<ostd::RefPtr<PidNumbers>> AllocPidNumbersLocked(const ostd::RefPtr<PidNamespace>& ns,
                                                       std::span<const int> set_tid,
                                                       const Credentials& creds)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  int level = ns->level();
  if (set_tid.size() > static_cast<size_t>(level) + 1) return Err(Errno::kEINVAL);
  std::array<int, PidNamespace::kMaxLevel + 1> nrs{};
  PidNamespace* n = ns.get();
  for (int i = level; i >= 0; --i, n = n->parent()) {
    size_t k = static_cast<size_t>(level - i);
    int wanted = k < set_tid.size() ? set_tid[k] : 0;
    if (k < set_tid.size()) {
      if (wanted < 1 || wanted >= PidMax()) return Err(Errno::kEINVAL);
      if (wanted != 1 && !n->has_init()) return Err(Errno::kEINVAL);
      if (!creds.Capable(Cap::kCheckpointRestore) && !creds.Capable(Cap::kSysAdmin)) {
        return Err(Errno::kEPERM);
      }
    }
    OSTD_TRY_ASSIGN(nrs[static_cast<size_t>(i)], AllocNrLocked(*n, wanted));
  }
  return PidNumbers::Make(ns, std::span<const int>(nrs).first(static_cast<size_t>(level) + 1));
}

// Moves `p` into the table. On failure (ENOMEM) `p` is left with the caller,
// so that it is never destroyed under the tree lock.
Status AddProcessLocked(ostd::Box<Process>& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  OSTD_TRY(processes.Reserve(processes.size() + 1));
  size_t i = 0;
  while (i < processes.size() && processes[i]->pid() < p->pid()) ++i;
  return processes.Insert(i, std::move(p));  // cannot fail: reserved
}

// Takes `p` out of the table; the caller destroys it after dropping the lock.
ostd::Box<Process> TakeProcessLocked(Process* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  for (size_t i = 0; i < processes.size(); ++i) {
    if (processes[i].get() == p) {
      ostd::Box<Process> taken = std::move(processes[i]);
      processes.Erase(i);
      return taken;
    }
  }
  return nullptr;
}

void RemoveFromLocked(ostd::Vec<Process*>& v, Process* p) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == p) {
      v.Erase(i);
      return;
    }
  }
}

void RemoveFromLocked(ostd::Vec<Thread*>& v, Thread* t) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == t) {
      v.Erase(i);
      return;
    }
  }
}

// Takes `t` out of its process's list (which owns it).
ostd::Box<Thread> TakeThreadLocked(ostd::Vec<ostd::Box<Thread>>& v, Thread* t) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].get() == t) {
      ostd::Box<Thread> taken = std::move(v[i]);
      v.Erase(i);
      return taken;
    }
  }
  return nullptr;
}

void DefaultRlimits(Process& p) {
  constexpr uint64_t kInf = ~uint64_t{0};
  for (auto& r : p.rlimits) r = {kInf, kInf};
  p.rlimits[3] = {kStackMax, kInf};  // RLIMIT_STACK
  p.rlimits[4] = {0, kInf};          // RLIMIT_CORE
  p.rlimits[Process::kRlimitNproc] = {4096, 4096};
  p.rlimits[Process::kRlimitNofile] = {1024, 4096};
  p.rlimits[8] = {8ull << 20, 8ull << 20};  // RLIMIT_MEMLOCK
  p.rlimits[12] = {819200, 819200};         // RLIMIT_MSGQUEUE (Linux MQ_BYTES_MAX)
  p.rlimits[13] = {0, 0};                   // RLIMIT_NICE
  p.rlimits[14] = {0, 0};                   // RLIMIT_RTPRIO
  uint64_t sigpending = DefaultSigPendingLimit();
  p.rlimits[Process::kRlimitSigpending] = {sigpending, sigpending};
}

[[noreturn]] void InitExited(int status) {
  // What init's processes wrote to disks and did not sync yet is kept.
  glue::SyncFileSystems();
  if ((status & 0x7f) == 0) {
    int code = (status >> 8) & 0xff;
    ostd::Println("keel: init exited with status {}", code);
    ostd::power::Exit(code == 0 ? ostd::power::ExitCode::kSuccess
                                : ostd::power::ExitCode::kFailure);
  }
  ostd::Println("keel: init killed by signal {}", status & 0x7f);
  ostd::power::Exit(ostd::power::ExitCode::kFailure);
}

}  // namespace

void Thread::set_task(ostd::TaskRef task) {
  task_id_.store(task ? task->id() : 0, std::memory_order_release);
  task_ = std::move(task);
}

CpuTimes Thread::cpu_times() const {
  const ostd::Task* task = task_.get();
  uint64_t total = task != nullptr ? task->cpu_nanos() : 0;
  ostd::Task::CpuTicks ticks = task != nullptr ? task->cpu_ticks() : ostd::Task::CpuTicks{};
  ostd::SpinLockGuard guard(cpu_split_lock_);
  cpu_split_ = AdjustCpuSplit(total, ticks.user, ticks.system, cpu_split_);
  return CpuTimes{cpu_split_.user_ns, cpu_split_.sys_ns};
}

uint64_t Thread::task_id() const { return task_id_.load(std::memory_order_relaxed); }

CpuTimes Process::SelfTimesLocked() const {
  CpuTimes times = exited_threads_times_;
  for (const ostd::Box<Thread>& t : threads_) times += t->cpu_times();
  return times;
}

Process::Process(Key)
    : pid_ns_(PidNamespace::RootRef()),
      pid_ns_for_children_(PidNamespace::RootRef()),
      uts_ns_(UtsNamespace::Root().RefFromThis()),
      net_ns_(NetNamespace::Root().RefFromThis()) {}

ostd::RefPtr<NetNamespace> Process::net_ns() const {
  ostd::SpinLockGuard guard(tree_lock);
  return net_ns_;
}

ostd::Status Process::UnshareNet() {
  OSTD_TRY_ASSIGN(ostd::RefPtr<NetNamespace> ns, NetNamespace::Create());
  return SetNetNs(std::move(ns));
}

namespace {

// SetUtsNs and SetNetNs under the tree lock: `ns` takes `slot`'s place,
// unless it is there already; EINVAL for a process of more than one thread
// (the namespace is per process in Keel). The old reference ends up in
// `ns`, which the caller drops after the lock.
template <typename T>
ostd::Status SwapPerProcessNs(int threads, ostd::RefPtr<T>& slot, ostd::RefPtr<T>& ns) {
  if (ns == slot) return {};
  if (threads > 1) return Err(Errno::kEINVAL);
  std::swap(slot, ns);
  return {};
}

}  // namespace

ostd::Status Process::SetNetNs(ostd::RefPtr<NetNamespace> ns) {
  ostd::SpinLockGuard guard(tree_lock);
  return SwapPerProcessNs(thread_count(), net_ns_, ns);
}

ostd::RefPtr<UtsNamespace> Process::uts_ns() const {
  ostd::SpinLockGuard guard(tree_lock);
  return uts_ns_;
}

ostd::Status Process::UnshareUts() {
  OSTD_TRY_ASSIGN(ostd::RefPtr<UtsNamespace> ns, UtsNamespace::Copy(*uts_ns()));
  return SetUtsNs(std::move(ns));
}

ostd::Status Process::SetUtsNs(ostd::RefPtr<UtsNamespace> ns) {
  ostd::SpinLockGuard guard(tree_lock);
  return SwapPerProcessNs(thread_count(), uts_ns_, ns);
}

Process::~Process() = default;

ostd::Status Process::UnsharePidNamespace() {
  // Linux: only once; the new namespace hangs below the one the caller runs in.
  // pid_ns_ never changes after creation; the other pointer changes here,
  // under the tree lock (Clone reads it there).
  OSTD_TRY_ASSIGN(ostd::RefPtr<PidNamespace> ns, PidNamespace::CreateChild(*pid_ns_));
  // Whichever reference is dropped goes after the lock.
  {
    ostd::SpinLockGuard guard(tree_lock);
    if (pid_ns_for_children_ != pid_ns_) return Err(Errno::kEINVAL);
    std::swap(pid_ns_for_children_, ns);
  }
  return {};
}

ostd::RefPtr<PidNamespace> Process::pid_ns_for_children() const {
  ostd::SpinLockGuard guard(tree_lock);
  return pid_ns_for_children_;
}

void Process::SetPidNsForChildren(ostd::RefPtr<PidNamespace> ns) {
  // Clone reads the pointer under the tree lock; the old reference goes
  // after it.
  {
    ostd::SpinLockGuard guard(tree_lock);
    std::swap(pid_ns_for_children_, ns);
  }
}

bool Process::SoleFsUser() const {
  if (thread_count() > 1) return false;
  ostd::SpinLockGuard guard(tree_lock);
  for (const ostd::Box<Process>& p : processes) {
    if (p.get() != this && p->fs_.get() == fs_.get()) return false;
  }
  return true;
}

bool Process::SoleMmUser() const {
  if (thread_count() > 1) return false;
  ostd::SpinLockGuard guard(tree_lock);
  for (const ostd::Box<Process>& p : processes) {
    if (p.get() != this && p->mm_.get() == mm_.get()) return false;
  }
  return true;
}

ostd::Status Process::ReplaceFs(ostd::RefPtr<fs::FsContext> fsc) {
  // Only this process's one thread can make another user of the context
  // (clone), so the answer holds until the swap.
  if (!SoleFsUser()) return Err(Errno::kEINVAL);
  // procfs takes its references to fs_ under the tree lock; the old
  // context goes after the lock (its namespace may unmount on the way out).
  {
    ostd::SpinLockGuard guard(tree_lock);
    std::swap(fs_, fsc);
  }
  return {};
}

ostd::Status Process::UnshareFs(bool new_mount_ns) {
  if (thread_count() > 1) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(ostd::RefPtr<fs::FsContext> fsc,
                  glue::CloneFsContext(*fs_, /*share=*/false, new_mount_ns));
  // procfs takes its references to fs_ under the tree lock; the old
  // context goes after the lock (its namespace may unmount on the way out).
  {
    ostd::SpinLockGuard guard(tree_lock);
    std::swap(fs_, fsc);
  }
  return {};
}

ostd::Status Process::UnshareFiles() {
  if (thread_count() > 1) return Err(Errno::kEINVAL);
  if (files_->ref_count() == 1) return {};
  OSTD_TRY_ASSIGN(ostd::RefPtr<fs::FdTable> copy, glue::CloneFiles(*files_, /*share=*/false));
  // procfs and pidfd_getfd take their references to files_ under the tree
  // lock; the shared table's reference goes after it.
  {
    ostd::SpinLockGuard guard(tree_lock);
    std::swap(files_, copy);
  }
  return {};
}

ostd::SpinLock& TreeLock() ABSL_LOCK_RETURNED(tree_lock) { return tree_lock; }

namespace process_internal {
const ostd::Vec<ostd::Box<Process>>& AllProcesses() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  return processes;
}
}  // namespace process_internal

void Process::SetCreds(const Credentials& c) {
  // Other processes read creds_ under the tree lock (kill's permission,
  // capget of a pid, /proc): they see the old or the new credentials whole.
  ostd::SpinLockGuard guard(tree_lock);
  if (creds::LosesIdentity(creds_, c)) {
    pdeath_signal.store(0, std::memory_order_relaxed);
    dumpable.store(0, std::memory_order_relaxed);  // Linux's default suid_dumpable
  }
  creds_ = c;
}

void Thread::ApplySched() {
  const ostd::Task* task = task_.get();
  if (task == nullptr) return;
  int nice = sched.nice;
  if (sched.realtime()) nice = -20;
  if (sched.policy == SchedAttrs::kIdle) nice = 19;
  task->set_nice(nice);
}

bool Process::SoleFilesUser() const {
  return live_threads_.load(std::memory_order_acquire) == 1 && files_->ref_count() == 1;
}

ostd::Status Process::CommitCreds(const ostd::Result<Credentials>& next) {
  if (!next) return ostd::Err(next.error());
  SetCreds(*next);
  return {};
}

ostd::RefPtr<GroupList> Process::groups() const {
  ostd::SpinLockGuard guard(groups_lock_);
  return groups_;
}

void Process::set_groups(ostd::RefPtr<GroupList> groups) {
  {
    ostd::SpinLockGuard guard(groups_lock_);
    std::swap(groups_, groups);
  }
  // The old list (now in `groups`) is dropped here, outside the lock.
}

void Process::set_name(std::string_view name) {
  size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  name_len_ = ostd::CopyChars(name, std::span<char>(name_).first(name_.size() - 1));
  IdentityChanged();  // after the change (see IdentityCache)
}

void Process::set_exe_path(std::string_view path) {
  exe_len_ = ostd::CopyChars(path, std::span<char>(exe_).first(exe_.size() - 1));
}

void Process::set_cmdline(std::span<const std::string_view> argv) {
  ostd::SpinLockGuard guard(cmdline_lock_);
  size_t n = 0;
  for (std::string_view a : argv) {
    for (char c : a) {
      if (n == cmdline_.size()) break;
      cmdline_[n++] = c;
    }
    if (n == cmdline_.size()) break;
    cmdline_[n++] = '\0';
  }
  cmdline_len_ = n;
}

void Process::set_cmdline_bytes(std::span<const char> bytes) {
  ostd::SpinLockGuard guard(cmdline_lock_);
  cmdline_len_ = ostd::CopyChars(bytes, cmdline_);
}

size_t Process::CopyCmdline(std::span<char> out) const {
  ostd::SpinLockGuard guard(cmdline_lock_);
  return ostd::CopyChars(std::span<const char>(cmdline_).first(cmdline_len_), out);
}

namespace {

// TryCurrentThreadIdentity's work, on CPU `cpu` with interrupts off (the
// CPU's cache entry is then this context's alone).
bool CurrentThreadIdentityLocked(uint32_t cpu, ThreadIdentity& out) {
  const ostd::Task* self = ostd::CurrentTask();
  if (self == nullptr) return false;
  uint64_t gen = identity_gen.load(std::memory_order_acquire);
  if (cpu < ostd::kMaxCpus) {
    const IdentityCache& c = identity_cache[cpu];
    if (c.task_id == self->id() && c.gen == gen) {
      out = c.id;
      return true;
    }
  }
  if (!tree_lock.TryLock()) return false;
  bool found = false;
  for (Thread* t : threads) {
    if (ProcessAccess::task_id(*t) != self->id()) continue;
    out.tid = t->tid();
    out.comm_len = ostd::CopyChars(t->process().name(), out.comm);
    found = true;
    break;
  }
  tree_lock.Unlock();
  if (found && cpu < ostd::kMaxCpus) {
    identity_cache[cpu] = IdentityCache{.task_id = self->id(), .gen = gen, .id = out};
  }
  return found;
}

}  // namespace

bool TryCurrentThreadIdentity(ThreadIdentity& out) {
  ostd::IrqGuard irq;
  return CurrentThreadIdentityLocked(ostd::cpu::CurrentId(), out);
}

bool TryCurrentThreadIdentityIrqsOff(uint32_t cpu, ThreadIdentity& out) {
  if (ostd::InterruptsEnabled()) [[unlikely]]
    return TryCurrentThreadIdentity(out);
  return CurrentThreadIdentityLocked(cpu, out);
}

Thread* CurrentThread() {
  const ostd::Task* self = ostd::CurrentTask();
  if (self == nullptr) return nullptr;
  ostd::SpinLockGuard guard(tree_lock);
  for (Thread* t : threads) {
    if (ProcessAccess::task_id(*t) == self->id()) return t;
  }
  return nullptr;
}

Process* FindProcessLocked(int pid) {
  for (const ostd::Box<Process>& p : processes) {
    if (p->pid() == pid) return p.get();
  }
  return nullptr;
}

Process* FindProcessInLocked(const PidNamespace& ns, int nr) {
  if (ns.level() == 0) return FindProcessLocked(nr);
  if (nr <= 0) return nullptr;
  for (const ostd::Box<Process>& p : processes) {
    if (p->PidIn(ns) == nr) return p.get();
  }
  return nullptr;
}

Thread* FindThreadInLocked(const PidNamespace& ns, int nr) {
  if (ns.level() == 0) return FindThreadLocked(nr);
  if (nr <= 0) return nullptr;
  for (Thread* t : threads) {
    if (t->TidIn(ns) == nr) return t;
  }
  return nullptr;
}

int GlobalPidLocked(const PidNamespace& ns, int nr) {
  if (ns.level() == 0) return nr;
  if (nr <= 0) return kNoPid;
  for (Thread* t : threads) {
    if (t->TidIn(ns) == nr) return t->tid();
  }
  for (const ostd::Box<Process>& p : processes) {
    if (p->PidIn(ns) == nr) return p->pid();
    if (p->pgid_nrs_locked()->In(ns) == nr) return p->pgid();
    if (p->sid_nrs_locked()->In(ns) == nr) return p->sid();
  }
  return kNoPid;
}

int PidMax() {
  int max = pid_max.load(std::memory_order_relaxed);
  if (max != 0) return max;
  constexpr int kPidsPerCpu = 1024, kDefault = 32768;  // PIDS_PER_CPU_DEFAULT, PID_MAX_DEFAULT
  return std::max(kDefault, kPidsPerCpu * static_cast<int>(ostd::cpu::Count()));
}

Status SetPidMax(int max) {
  if (max <= kReservedPids || max > kPidMax) return Err(Errno::kEINVAL);
  pid_max.store(max, std::memory_order_relaxed);
  return {};
}

int GlobalPid(const Process& caller, int nr) {
  const PidNamespace& ns = caller.pid_ns();
  if (ns.level() == 0 || nr <= 0) return nr;
  ostd::SpinLockGuard guard(tree_lock);
  return GlobalPidLocked(ns, nr);
}

bool MayAccessLocked(const Process& caller, const Process& target) {
  if (&caller == &target) return true;
  return creds::MayPtrace(caller.creds(), target.creds(),
                          target.dumpable.load(std::memory_order_relaxed) == 1);
}

int PidFor(const Process& caller, int global) {
  const PidNamespace& ns = caller.pid_ns();
  if (ns.level() == 0) return global;
  ostd::SpinLockGuard guard(tree_lock);
  return PidInLocked(global, ns);
}

int PidInLocked(int global, const PidNamespace& ns) {
  if (ns.level() == 0) return global;
  for (Thread* t : threads) {
    if (t->tid() == global) return t->TidIn(ns);
  }
  for (const ostd::Box<Process>& p : processes) {
    if (p->pid() == global) return p->PidIn(ns);
    if (p->pgid() == global) return p->pgid_nrs_locked()->In(ns);
    if (p->sid() == global) return p->sid_nrs_locked()->In(ns);
  }
  return 0;
}

void Process::SetPgidLocked(ostd::RefPtr<PidNumbers> pgid) {
  pgid_.store(pgid->global(), std::memory_order_relaxed);
  pgid_nrs_ = std::move(pgid);
}

void Process::SetSidLocked(ostd::RefPtr<PidNumbers> sid) {
  sid_.store(sid->global(), std::memory_order_relaxed);
  sid_nrs_ = std::move(sid);
}

namespace {
std::atomic<uint64_t> thread_serials{0};
}  // namespace

uint64_t Thread::NextSerial() { return thread_serials.fetch_add(1, std::memory_order_relaxed) + 1; }

Thread* FindThreadLocked(int tid) {
  for (Thread* t : threads) {
    if (t->tid() == tid) return t;
  }
  return nullptr;
}

uint64_t ProcessCount() {
  ostd::SpinLockGuard guard(tree_lock);
  return processes.size();
}

namespace {
// The pid the killer last chose; 0 before the first choice.
std::atomic<int> oom_victim{0};
}  // namespace

void HandleOutOfMemory(Thread& self) {
  struct Choice {
    int pid = 0;
    uint32_t uid = 0;
    uint64_t vm_kb = 0;
    AddressSpace::Rss rss;
    std::array<char, 16> name{};
    size_t name_len = 0;
  } chosen;
  bool waiting = false;
  {
    ostd::SpinLockGuard guard(tree_lock);
    Process* earlier = FindProcessLocked(oom_victim.load(std::memory_order_relaxed));
    if (earlier != nullptr && !earlier->zombie_locked() && earlier->mm_locked() != nullptr) {
      waiting = true;  // its memory is on its way back
    } else {
      // The largest resident set (O(1) per process: the counters).
      Process* best = nullptr;
      uint64_t best_rss = 0;
      for (const ostd::Box<Process>& p : processes) {
        AddressSpace* mm = p->mm_locked();
        if (p->pid() == 1 || p->zombie_locked() || mm == nullptr) continue;
        uint64_t rss = mm->ResidentBytes();
        if (best == nullptr || rss > best_rss) {
          best = p.get();
          best_rss = rss;
        }
      }
      if (best == nullptr) best = &self.process();  // nothing else: the faulting process
      chosen.pid = best->pid();
      chosen.uid = best->creds().uid;
      if (AddressSpace* mm = best->mm_locked()) {
        chosen.vm_kb = mm->MappedBytes() / 1024;
        chosen.rss = mm->ResidentByKind();
      }
      chosen.name_len = ostd::CopyChars(best->name(), chosen.name);
      best->SendSignal(kSigKill);
      oom_victim.store(chosen.pid, std::memory_order_relaxed);
    }
  }
  if (!waiting) {
    ostd::Println(
        "Out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:{}kB, "
        "shmem-rss:{}kB, UID:{} pgtables:0kB oom_score_adj:0",
        chosen.pid, std::string_view(std::span<const char>(chosen.name).first(chosen.name_len)),
        chosen.vm_kb, chosen.rss.anon / 1024, chosen.rss.file / 1024, chosen.rss.shmem / 1024,
        chosen.uid);
  }
  // A victim needs a moment to run to its exit and free its frames.
  if (waiting || chosen.pid != self.process().pid()) ostd::SleepFor(2'000'000);
}

Result<Process*> CreateInitProcess() {
  OSTD_TRY_ASSIGN(ostd::Box<Process> p, ProcessAccess::New());
  Result<ostd::RefPtr<MmHandle>> mm = AddressSpace::Create();
  Result<ostd::RefPtr<fs::FdTable>> files = glue::NewConsoleFiles();
  Result<ostd::RefPtr<fs::FsContext>> fsc = glue::NewRootFsContext();
  Result<ostd::RefPtr<SignalHandlers>> handlers = SignalHandlers::Create();
  if (!mm || !files || !fsc || !handlers) return Err(Errno::kENOMEM);
  p->mm_ = std::move(*mm);
  p->files_ = std::move(*files);
  p->fs_ = std::move(*fsc);
  p->handlers_ = std::move(*handlers);
  p->start_ns = ostd::timer::NowNanos();
  DefaultRlimits(*p);
  p->set_name("init");
  Process* init = p.get();
  {
    ostd::SpinLockGuard guard(tree_lock);
    Result<ostd::RefPtr<PidNumbers>> nrs = AllocPidNumbersLocked(p->pid_ns_, {}, p->creds_);
    if (nrs) {
      p->pid_nrs_ = *nrs;
      p->pid_ = (*nrs)->global();
      p->SetPgidLocked(*nrs);
      p->SetSidLocked(*std::move(nrs));
      if (AddProcessLocked(p)) return init;
    }
  }
  ProcessAccess::ReleaseResources(*p);
  return Err(Errno::kENOMEM);
}

SchedAttrs SchedAttrs::ForChild() const {
  SchedAttrs child = *this;
  if (reset_on_fork) {
    // Real-time policies fall back to SCHED_OTHER at nice 0; otherwise only
    // a negative nice is reset. The flag has done its job.
    if (realtime()) {
      child.policy = kOther;
      child.rt_priority = 0;
      child.nice = 0;
    } else if (nice < 0) {
      child.nice = 0;
    }
    child.reset_on_fork = false;
  }
  return child;
}

Result<Thread*> StartThread(Process& p, ostd::user::UserContext ctx, ostd::RefPtr<PidNumbers> nrs,
                            const ThreadInit& init) {
  Thread* t = nullptr;
  {
    ostd::SpinLockGuard guard(tree_lock);
    if (nrs == nullptr && p.threads_.empty()) nrs = p.pid_nrs_;
    if (nrs == nullptr) {
      OSTD_TRY_ASSIGN(nrs, AllocPidNumbersLocked(p.pid_ns_, {}, p.creds_));
    }
    // Made under the lock: the ids must not be taken meanwhile.
    OSTD_TRY_ASSIGN(ostd::Box<Thread> owned,
                    ProcessAccess::NewThread(&p, std::move(ctx), std::move(nrs)));
    t = owned.get();
    t->set_mask(init.mask);
    t->clear_child_tid = init.clear_child_tid;
    t->set_child_tid = init.set_child_tid;
    t->initial_exec = init.exec;
    t->rseq = init.rseq;
    t->sched = init.sched;
    OSTD_TRY(threads.Reserve(threads.size() + 1));
    OSTD_TRY(
        p.threads_.Push(std::move(owned)));  // on failure the Thread goes (nothing refers to it)
    (void)threads.Push(t);                   // cannot fail: reserved
    IdentityChanged();
    p.live_threads_.fetch_add(1, std::memory_order_acq_rel);
  }
  // The task holds the only pointer it needs; the process owns the thread
  // until FinishThread takes it out at exit.
  // Like Linux, a new thread or process starts with its creator's CPU affinity.
  ostd::TaskOptions options = ostd::TaskOptions().name("user");
  if (ostd::Task* creator = ostd::CurrentTask()) options.affinity(creator->affinity());
  // The task finds its thread by serial number rather than holding the
  // pointer (the gate refuses borrowed pointers in a stored callable): the
  // thread stays in the table until the task itself takes it out
  // (FinishThread).
  uint64_t serial = t->serial();
  Result<ostd::TaskRef> task = ostd::Spawn(
      [serial] {
        Thread* self = nullptr;
        {
          ostd::SpinLockGuard guard(tree_lock);
          for (Thread* candidate : threads) {
            if (candidate->serial() == serial) self = candidate;
          }
        }
        if (self == nullptr) OSTD_PANIC("thread #{} left the table before it started", serial);
        RunThread(self);
      },
      options);
  if (!task) {
    ostd::Box<Thread> dead;
    {
      ostd::SpinLockGuard guard(tree_lock);
      RemoveFromLocked(threads, t);
      IdentityChanged();
      dead = TakeThreadLocked(p.threads_, t);
      p.live_threads_.fetch_sub(1, std::memory_order_acq_rel);
    }
    return Err(task.error());
  }
  return t;
}

// RLIMIT_NPROC, as Linux's copy_process checks it: the caller's user (real
// uid) may have at most rlim_cur tasks (threads count); root, and holders of
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN, are exempt.
bool OverNprocLimit(const Process& parent) {
  const Credentials& c = parent.creds();
  if (c.uid == 0 || c.Capable(Cap::kSysResource) || c.Capable(Cap::kSysAdmin)) {
    return false;
  }
  uint64_t limit = parent.rlimits[Process::kRlimitNproc].cur;
  uint64_t tasks = 0;
  ostd::SpinLockGuard guard(tree_lock);
  for (const Thread* t : threads) {
    if (t->process().creds().uid == c.uid) ++tasks;
  }
  return tasks >= limit;
}

Result<int> Clone(Thread& self, const CloneArgs& args) {
  uint64_t f = args.flags;
  // Linux's consistency rules.
  if ((f & (kCloneNewns | kCloneFs)) == (kCloneNewns | kCloneFs)) return Err(Errno::kEINVAL);
  if ((f & kCloneSighand) != 0 && (f & kCloneVm) == 0) return Err(Errno::kEINVAL);
  if ((f & kCloneThread) != 0 && (f & kCloneSighand) == 0) return Err(Errno::kEINVAL);
  if ((f & kClonePidfd) != 0) return Err(Errno::kEINVAL);  // pidfds are not supported
  Process& parent = self.process();
  if (OverNprocLimit(parent)) return Err(Errno::kEAGAIN);
  // The child's pid namespace: the parent's children's, or a new one below it.
  ostd::RefPtr<PidNamespace> child_ns;
  bool unshared_pid_ns = false;
  {
    ostd::SpinLockGuard guard(tree_lock);
    child_ns = parent.pid_ns_for_children_;
    unshared_pid_ns = parent.pid_ns_for_children_ != parent.pid_ns_;
  }
  if ((f & kCloneThread) != 0 && ((f & kCloneNewpid) != 0 || unshared_pid_ns)) {
    return Err(Errno::kEINVAL);
  }
  if ((f & kCloneNewpid) != 0) {
    if (!parent.creds().Capable(Cap::kSysAdmin)) return Err(Errno::kEPERM);
    OSTD_TRY_ASSIGN(child_ns, PidNamespace::CreateChild(*child_ns));
  }
  // The namespace's init is gone: Linux's alloc_pid finds PIDNS_ADDING off.
  if (child_ns->dead()) return Err(Errno::kENOMEM);
  if ((f & (kCloneNewns | kCloneNewuts | kCloneNewnet)) != 0) {
    // A Keel thread has its process's fs context, UTS and network
    // namespaces, so it cannot have a mount, UTS or network namespace of
    // its own (Linux allows CLONE_THREAD|CLONE_NEWNS without CLONE_FS, and
    // CLONE_NEWUTS and CLONE_NEWNET).
    if ((f & kCloneThread) != 0) return Err(Errno::kEINVAL);
    if (!parent.creds().Capable(Cap::kSysAdmin)) return Err(Errno::kEPERM);
  }

  Result<ostd::user::UserContext> made = ostd::user::UserContext::Create();
  if (!made) return Err(Errno::kENOMEM);
  ostd::user::UserContext ctx = std::move(*made);
  ctx.regs() = self.context().regs();
  ctx.CopyFpuStateFrom(self.context());
  (void)ctx.set_fs_base(self.context().fs_base());
  (void)ctx.set_gs_base(self.context().gs_base());
  ctx.set_syscall_ret(0);  // the child sees 0
  if (args.stack != 0) ctx.set_rsp(args.stack);
  if ((f & kCloneSettls) != 0) OSTD_TRY(ctx.set_fs_base(args.tls));

  Process* target = &parent;
  if ((f & kCloneThread) == 0) {
    ostd::RefPtr<UtsNamespace> uts = parent.uts_ns();
    if ((f & kCloneNewuts) != 0) {
      OSTD_TRY_ASSIGN(uts, UtsNamespace::Copy(*uts));
    }
    ostd::RefPtr<NetNamespace> net = parent.net_ns();
    if ((f & kCloneNewnet) != 0) {
      OSTD_TRY_ASSIGN(net, NetNamespace::Create());
    }
    OSTD_TRY_ASSIGN(ostd::Box<Process> owned, ProcessAccess::New());
    Process* p = owned.get();
    Result<ostd::RefPtr<MmHandle>> mm =
        (f & kCloneVm) != 0 ? parent.mm_handle().RefFromThis() : parent.mm().Fork();
    Result<ostd::RefPtr<fs::FdTable>> files =
        glue::CloneFiles(parent.files(), (f & kCloneFiles) != 0);
    Result<ostd::RefPtr<fs::FsContext>> fsc =
        glue::CloneFsContext(parent.fs(), (f & kCloneFs) != 0, (f & kCloneNewns) != 0);
    Result<ostd::RefPtr<SignalHandlers>> handlers =
        (f & kCloneSighand) != 0 ? parent.handlers().RefFromThis() : parent.handlers().Clone();
    if (!mm || !files || !fsc || !handlers) return Err(!mm ? mm.error() : Errno::kENOMEM);
    // CLONE_CLEAR_SIGHAND: handled signals go back to the default in the
    // child's own copy; ignored ones stay ignored (flush_signal_handlers).
    if ((f & kCloneClearSighand) != 0) (*handlers)->ResetForExec();
    p->mm_ = std::move(*mm);
    p->files_ = std::move(*files);
    p->fs_ = std::move(*fsc);
    p->handlers_ = std::move(*handlers);
    p->pid_ns_ = child_ns;
    p->pid_ns_for_children_ = std::move(child_ns);
    p->creds_ = parent.creds_;
    p->set_groups(parent.groups());
    // Inherited as on Linux: no_new_privs (a task flag), dumpable (an mm
    // flag dup_mm copies) and the persona; not the parent-death signal or
    // the subreaper mark.
    p->no_new_privs.store(parent.no_new_privs.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
    p->dumpable.store(parent.dumpable.load(std::memory_order_relaxed), std::memory_order_relaxed);
    p->personality.store(parent.personality.load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
    p->rlimits = parent.rlimits;
    // The memory is a copy: so is its membarrier registration (Linux's dup_mm).
    p->membarrier_state.store(parent.membarrier_state.load(std::memory_order_acquire),
                              std::memory_order_release);
    p->start_ns = ostd::timer::NowNanos();
    p->exit_signal_ = args.exit_signal;
    p->set_name(parent.name());
    p->set_exe_path(parent.exe_path());
    // The child's memory holds the same argument strings (Linux reads
    // /proc/<pid>/cmdline from there), so it shows the parent's command line.
    ostd::Vec<char> cmdline;
    if (cmdline.Resize(Process::kCmdlineMax)) {
      size_t n = parent.CopyCmdline(cmdline.span());
      p->set_cmdline_bytes(cmdline.span().first(n));
    }
    Status ok = {};
    {
      ostd::SpinLockGuard guard(tree_lock);
      Result<ostd::RefPtr<PidNumbers>> nrs =
          AllocPidNumbersLocked(p->pid_ns_, args.set_tid, parent.creds_);
      p->uts_ns_ = std::move(uts);
      p->net_ns_ = std::move(net);
      if (nrs) {
        p->pid_ = (*nrs)->global();
        p->pid_nrs_ = *std::move(nrs);
        p->SetPgidLocked(parent.pgid_nrs_);
        p->SetSidLocked(parent.sid_nrs_);
      }
      Process* new_parent =
          (f & kCloneParent) != 0 && parent.parent_ != nullptr ? parent.parent_ : &parent;
      p->parent_ = new_parent;
      p->ppid_.store(new_parent->pid(), std::memory_order_release);
      if (!nrs) {
        ok = Err(nrs.error());
      } else if (!new_parent->children_.Reserve(new_parent->children_.size() + 1) ||
                 !AddProcessLocked(owned)) {
        ok = Err(Errno::kEAGAIN);
      }
      if (ok) {
        (void)new_parent->children_.Push(p);  // cannot fail: reserved
        // The first process in a new namespace is its init (its pid 1).
        p->ns_init = p->pid_ns_->MarkHasInit() && p->pid_ns_->parent() != nullptr;
      } else {
        p->parent_ = nullptr;
      }
    }
    if (!ok) {
      ProcessAccess::ReleaseResources(*p);
      return Err(ok.error());  // `owned` still holds p and frees it
    }
    target = p;
  }
  ThreadInit init{.mask = self.mask()};
  {
    ostd::SpinLockGuard guard(tree_lock);
    init.sched = self.sched.ForChild();
  }
  if ((f & kCloneVm) == 0) init.rseq = self.rseq;  // as Linux's rseq_fork
  if ((f & kCloneChildCleartid) != 0) init.clear_child_tid = args.child_tid;
  if ((f & kCloneChildSettid) != 0) init.set_child_tid = args.child_tid;
  Result<ostd::RefPtr<PidNumbers>> nrs = Err(Errno::kEAGAIN);
  {
    ostd::SpinLockGuard guard(tree_lock);
    nrs = target == &parent ? AllocPidNumbersLocked(parent.pid_ns_, args.set_tid, parent.creds_)
                            : Result<ostd::RefPtr<PidNumbers>>(target->pid_nrs_);
  }
  // The tid as the caller's namespace sees it (what clone returns).
  int tid = nrs ? (*nrs)->In(parent.pid_ns()) : 0;
  // The parent's word is written before the child can run; a bad pointer is
  // ignored, as on Linux (the call still succeeds).
  Result<Thread*> child = Err(nrs ? Errno::kEAGAIN : nrs.error());
  if (nrs) {
    if ((f & kCloneParentSettid) != 0) {
      (void)ostd::vm::CopyToUser(args.parent_tid, int32_t{tid});
    }
    child = StartThread(*target, std::move(ctx), *std::move(nrs), init);
  }
  if (!child) {
    if (target != &parent) {
      ostd::Box<Process> dead;
      {
        ostd::SpinLockGuard guard(tree_lock);
        dead = TakeProcessLocked(target);
        if (target->parent_ != nullptr) RemoveFromLocked(target->parent_->children_, target);
      }
      ProcessAccess::ReleaseResources(*target);
    }
    return Err(child.error());
  }
  if ((f & kCloneVfork) != 0) {
    Process& cp = (*child)->process();
    // Not interruptible: the child borrows our memory until it execs or exits.
    cp.vfork_wait.Wait([&] { return cp.vfork_done.load(std::memory_order_acquire); });
  }
  return tid;
}

void ExitGroupLocked(Process& p, int wait_status) {
  if (p.group_exiting_.exchange(true, std::memory_order_acq_rel)) return;
  p.group_status_ = wait_status;
  p.ForEachThreadLocked([](Thread& t) {
    t.exiting.store(true, std::memory_order_release);
    t.Kick();
  });
}

void ExitGroup(Process& p, int wait_status) {
  ostd::SpinLockGuard guard(tree_lock);
  ExitGroupLocked(p, wait_status);
}

[[gnu::noinline]] int64_t KernelClone(const CloneArgs& args, Thread& self) {
  Result<int> tid = Clone(self, args);
  return tid ? int64_t{*tid} : -static_cast<int64_t>(tid.error());
}

[[gnu::noinline]] void DoExit(int64_t wait_status, Thread& self) {
  ExitThread(self, static_cast<int>(wait_status));
}

void ExitThread(Thread& self, int wait_status) {
  self.exit_status = wait_status;
  self.exiting.store(true, std::memory_order_release);
}

// Called by RunThread on the exiting thread's own task, after user mode.
namespace {

// The siginfo of the signal parent `to` gets when `c` exits with `status`.
SigInfo ExitInfo(const Process& c, int status, const Process& to) {
  bool killed = (status & 0x7f) != 0;
  return SigInfo{.code = killed ? ((status & 0x80) != 0 ? kCldDumped : kCldKilled) : kCldExited,
                 .pid = c.PidIn(to.pid_ns()),
                 .uid = c.creds().uid,
                 .status = killed ? (status & 0x7f) : ((status >> 8) & 0xff)};
}

// Who adopts the children of `p`, which is exiting (Linux's
// find_new_reaper): the nearest ancestor in the same pid namespace that is a
// child subreaper (PR_SET_CHILD_SUBREAPER) and still has a live thread, else
// init.
Process* FindReaperLocked(Process& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  for (Process* a = p.parent_locked(); a != nullptr && a->pid() != 1; a = a->parent_locked()) {
    if (&a->pid_ns() != &p.pid_ns()) break;
    if (a->child_subreaper.load(std::memory_order_relaxed) && a->thread_count() > 0) return a;
  }
  // In a pid namespace of its own: that namespace's init, while it lives.
  // (The children of an exiting init are killed with its namespace; the
  // initial init reaps them.)
  if (p.pid_ns().parent() != nullptr && !p.ns_init) {
    for (const ostd::Box<Process>& q : processes) {
      if (q->ns_init && &q->pid_ns() == &p.pid_ns() && q->thread_count() > 0) return q.get();
    }
  }
  return FindProcessLocked(1);
}

// An exiting init of a pid namespace takes the namespace with it (Linux's
// zap_pid_ns_processes, without waiting for the others): nothing more may
// be made in it, and every process in it or below gets SIGKILL.
void ZapPidNamespaceLocked(Process& init) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  PidNamespace& ns = init.pid_ns();
  ns.MarkDead();
  for (const ostd::Box<Process>& q : processes) {
    if (q.get() == &init || q->thread_count() == 0 || !ns.Contains(q->pid_ns())) continue;
    q->SendSignal(kSigKill, SigInfo{.code = kSiKernel});
  }
}

}  // namespace

void FinishThread(Thread* t) {
  Process& p = t->process();
  int status = t->exit_status;
  if (p.group_exiting_.load(std::memory_order_acquire)) status = p.group_status_;
  // Robust futexes first, then clear_child_tid, as Linux's mm_release.
  ExitRobustList(*t);
  FutexOwnerExited(*t);
  if (!t->clear_child_tid.is_null()) {
    (void)ostd::vm::CopyToUser(t->clear_child_tid, int32_t{0});
    (void)FutexWake(p.mm(), t->clear_child_tid.addr(), /*shared=*/true, 1);
  }
  bool last = false;
  ostd::Box<Thread> self;
  {
    ostd::SpinLockGuard guard(tree_lock);
    p.exited_threads_times_ += t->cpu_times();
    RemoveFromLocked(threads, t);
    IdentityChanged();
    self = TakeThreadLocked(p.threads_, t);
    t->set_task(ostd::TaskRef());
    last = p.live_threads_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }
  p.thread_exit_wait_.WakeAll();
  ostd::SetCurrentVmSpace(nullptr);
  self.Reset();  // `t` is gone from here on
  if (!last) return;

  // The process is done: release what it holds and become a zombie. Its
  // timers go, and its pending signals with their RLIMIT_SIGPENDING charges
  // (Linux's exit_itimers and __exit_signal).
  DeleteAllPosixTimers(p);
  ostd::RefPtr<Process::ExitWork> undo;
  {
    ostd::SpinLockGuard guard(tree_lock);
    undo = std::move(p.sem_undo);
  }
  if (undo) undo->Run(p);
  p.pending.Discard(~SigSet{0});
  p.vfork_done.store(true, std::memory_order_release);
  p.vfork_wait.WakeAll();
  ProcessAccess::ReleaseResources(p);
  if (p.pid() == 1) InitExited(status);
  Process* parent = nullptr;
  bool autoreap = false;
  ostd::Box<Process> reaped;  // set if nobody will wait for `p`
  {
    ostd::SpinLockGuard guard(tree_lock);
    if (p.ns_init) ZapPidNamespaceLocked(p);
    Process* reaper = FindReaperLocked(p);
    for (Process* c : p.children_) {
      c->parent_ = reaper;
      c->ppid_.store(reaper == nullptr ? 0 : reaper->pid(), std::memory_order_release);
      if (reaper == nullptr || reaper == &p) continue;
      (void)reaper->children_.Push(c);
      // PR_SET_PDEATHSIG: the child hears that its parent died.
      if (int sig = c->pdeath_signal.load(std::memory_order_relaxed); sig != 0 && !c->zombie_) {
        c->SendSignal(sig,
                      SigInfo{.code = kSiUser, .pid = p.PidIn(c->pid_ns()), .uid = p.creds_.uid});
      }
      // A zombie handed over is news for its new parent (Linux's
      // reparent_leader notifies it), or init's reaping loop would never
      // look.
      if (c->zombie_ && !c->reaped_) {
        reaper->child_events.fetch_add(1, std::memory_order_release);
        reaper->child_wait.WakeAll();
        if (c->exit_signal_ != 0)
          reaper->SendSignal(c->exit_signal_, ExitInfo(*c, c->wait_status_, *reaper));
      }
    }
    p.children_.Clear();
    p.wait_status_ = status;
    p.zombie_ = true;
    parent = p.parent_;
    if (parent != nullptr && parent->handlers_ != nullptr) {
      KernelSigaction chld = parent->handlers_->Get(kSigChld);
      autoreap = chld.handler == kSigIgn || (chld.flags & kSaNoCldWait) != 0;
    }
    if (parent == nullptr || autoreap) {
      if (parent != nullptr) RemoveFromLocked(parent->children_, &p);
      reaped = TakeProcessLocked(&p);
      p.reaped_ = true;
    }
    if (parent != nullptr) {
      parent->child_events.fetch_add(1, std::memory_order_release);
      // Under the lock: once it is dropped, the parent may reap `p` (and
      // exit itself), so neither may be touched after it.
      parent->child_wait.WakeAll();
      if (p.exit_signal_ != 0 && !autoreap) {
        parent->SendSignal(p.exit_signal_, ExitInfo(p, status, *parent));
      }
    }
  }
  NotifyProcessExit();  // pidfds become readable
  // `reaped` (if set) destroys `p` here, after the lock.
}

namespace {

// Tells `p`'s parent about a state change (SIGCHLD unless it asked not to
// hear about stops, and a wake-up for wait).
void NotifyParentLocked(Process& p, int32_t code, int status)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(tree_lock) {
  Process* parent = p.parent_locked();
  if (parent == nullptr) return;
  parent->child_events.fetch_add(1, std::memory_order_release);
  bool quiet = parent->handlers_ptr() != nullptr &&
               (parent->handlers_ptr()->Get(kSigChld).flags & kSaNoCldStop) != 0;
  if (!quiet) {
    parent->SendSignal(kSigChld, SigInfo{.code = code,
                                         .pid = p.PidIn(parent->pid_ns()),
                                         .uid = p.creds().uid,
                                         .status = status});
  }
  parent->child_wait.WakeAll();
}

}  // namespace

void StopProcess(Process& p, int sig) {
  ostd::SpinLockGuard guard(tree_lock);
  if (p.stopped.exchange(true, std::memory_order_acq_rel)) return;
  p.stop_sig_ = sig;
  p.stop_unreported_ = true;
  p.cont_unreported_ = false;
  p.ForEachThreadLocked([](Thread& t) { t.Kick(); });
  NotifyParentLocked(p, 5 /* CLD_STOPPED */, sig);
}

void ContinueProcessLocked(Process& p) {
  if (!p.stopped.exchange(false, std::memory_order_acq_rel)) return;
  p.stop_unreported_ = false;
  p.cont_unreported_ = true;
  p.stop_wait.WakeAll();
  NotifyParentLocked(p, 6 /* CLD_CONTINUED */, kSigCont);
}

void WaitWhileStopped(Thread& self) {
  Process& p = self.process();
  p.stop_wait.Wait([&] {
    return !p.stopped.load(std::memory_order_acquire) ||
           self.exiting.load(std::memory_order_acquire) ||
           (p.pending.set() & SigBit(kSigKill)) != 0;
  });
}

Result<WaitResult> WaitChild(Thread& self, int which, const WaitOptions& options) {
  bool nohang = options.nohang;
  bool nowait = options.nowait;
  Process& me = self.process();
  const PidNamespace& ns = me.pid_ns();  // what the reported pids are in
  for (;;) {
    uint64_t seen = me.child_events.load(std::memory_order_acquire);
    bool have_child = false;
    Process* found = nullptr;
    ostd::Box<Process> reaped;  // destroyed after the lock
    WaitResult r;
    {
      ostd::SpinLockGuard guard(tree_lock);
      for (Process* c : me.children_) {
        bool match = which > 0     ? c->pid() == which
                     : which == -1 ? true
                     : which == 0  ? c->pgid() == me.pgid()
                                   : c->pgid() == -which;
        if (!match) continue;
        have_child = true;
        if (options.exited && c->zombie_) {
          found = c;
          break;
        }
        if (!c->zombie_ && options.stopped && c->stop_unreported_) {
          r = WaitResult{c->PidIn(ns), (c->stop_sig_ << 8) | 0x7f, c->creds_.uid, {}};
          if (!nowait) c->stop_unreported_ = false;
          return r;
        }
        if (!c->zombie_ && options.continued && c->cont_unreported_) {
          r = WaitResult{c->PidIn(ns), 0xffff, c->creds_.uid, {}};
          if (!nowait) c->cont_unreported_ = false;
          return r;
        }
      }
      if (found != nullptr) {
        CpuTimes times = found->exited_threads_times_;
        times += found->children_times_;
        r = WaitResult{found->PidIn(ns), found->wait_status_, found->creds_.uid, times};
        if (!nowait) {
          me.children_times_ += times;
          RemoveFromLocked(me.children_, found);
          reaped = TakeProcessLocked(found);
          found->reaped_ = true;
        }
      }
    }
    if (found != nullptr) return r;
    if (!have_child) return Err(Errno::kECHILD);
    if (nohang) return WaitResult{};
    // Sleep until a child changes state (checked again under the lock above).
    OSTD_TRY(self.WaitInterruptible(
        me.child_wait, [&] { return me.child_events.load(std::memory_order_acquire) != seen; }));
  }
}

}  // namespace kernel
