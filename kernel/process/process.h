// Processes and threads.
//
// A Thread is a user thread: an ostd task running UserMode::Execute in a
// loop (RunThread) with its registers, signal mask and pending signals. A
// Process groups threads sharing an address space, file descriptors, the
// file-system context, credentials and signal handlers; it is what fork
// creates, what execve replaces, and what wait4 reaps.
//
// Locking: the process tree (parent/children links, the pid table, zombie
// state, the thread lists) is guarded by one global lock, TreeLock(), like
// Linux's tasklist_lock; per-object state has its own locks.
#ifndef KERNEL_PROCESS_PROCESS_H_
#define KERNEL_PROCESS_PROCESS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "kernel/process/address_space.h"
#include "kernel/process/cputime.h"
#include "kernel/process/credentials.h"
#include "kernel/process/net_namespace.h"
#include "kernel/process/pid_namespace.h"
#include "kernel/process/posix_timer.h"
#include "kernel/process/sig_queue.h"
#include "kernel/process/signal.h"
#include "kernel/process/uts.h"
#include "kernel/syscalls/syscall_spec.h"
#include "ostd/fmt.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"
#include "ostd/user/user_mode.h"
#include "ostd/util/atomic_ptr.h"
#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/user_ptr.h"

namespace kernel {

namespace fs {
class FdTable;
class FsContext;
}  // namespace fs
struct ProcessAccess;

class Process;

// Pids run from 1 to PidMax() - 1, then wrap to kReservedPids (Linux's
// RESERVED_PIDS), in each pid namespace. PidMax() is /proc/sys/kernel/pid_max:
// Linux's default (32768, or 1024 per CPU past 32 CPUs), which root may set
// from kReservedPids + 1 up to kPidMax (Linux's PID_MAX_LIMIT on 64-bit).
inline constexpr int kPidMax = 4194304;
inline constexpr int kReservedPids = 300;
int PidMax();
// EINVAL outside [kReservedPids + 1, kPidMax].
ostd::Status SetPidMax(int max);

// The global process-tree lock (see the file comment). Lock order: the tree
// lock before any wait-queue lock; wait conditions never take it.
ostd::SpinLock& TreeLock();

// How a new thread starts.
// A program the new thread executes before it first enters user mode (for
// init, which has no user code to call execve). The strings live as long as
// the thread may need them.
struct InitialExec {
  std::string_view path;
  std::span<const std::string_view> argv;
  std::span<const std::string_view> envp;
};

// A thread's rseq(2) registration (kernel/process/rseq.h): the user address
// of its struct rseq (0: none), the length given and the abort signature.
struct RseqArea {
  uint64_t addr = 0;
  uint32_t len = 0;
  uint32_t sig = 0;
};

// A thread's scheduling attributes, as Linux keeps them per task: the policy
// and real-time priority (sched_setscheduler, sched_setattr), the nice value
// (setpriority) and the I/O priority (ioprio_set); kernel/syscalls/sched.cc.
// The nice value weighs the thread's share of a contended CPU (ostd's
// scheduler charges virtual runtime by nice, as CFS; Thread::ApplySched);
// there are no real-time priorities (SCHED_FIFO/RR weigh as nice -20) and no
// I/O classes. Copied by clone (with SCHED_RESET_ON_FORK's reset), kept by
// execve.
struct SchedAttrs {
  static constexpr int kOther = 0, kFifo = 1, kRr = 2, kBatch = 3, kIdle = 5;
  int32_t policy = kOther;
  int32_t rt_priority = 0;  // 1..99 for SCHED_FIFO and SCHED_RR, else 0
  int32_t nice = 0;         // -20..19
  bool reset_on_fork = false;
  uint16_t ioprio = 0;  // what ioprio_set stored (0: IOPRIO_CLASS_NONE, none set)
  bool realtime() const { return policy == kFifo || policy == kRr; }
  // What a child starts with (Linux's sched_fork).
  SchedAttrs ForChild() const;
};

struct ThreadInit {
  const InitialExec* exec = nullptr;
  SchedAttrs sched{};
  RseqArea rseq{};  // fork keeps the registration; a new thread starts without
  SigSet mask = 0;
  ostd::vm::UserOutPtr<int32_t> clear_child_tid{};  // CLONE_CHILD_CLEARTID
  ostd::vm::UserOutPtr<int32_t> set_child_tid{};    // CLONE_CHILD_SETTID: written by the child
};

struct CloneArgs {
  uint64_t flags = 0;
  uint64_t stack = 0;
  ostd::vm::UserOutPtr<int32_t> parent_tid{};  // CLONE_PARENT_SETTID
  ostd::vm::UserOutPtr<int32_t> child_tid{};   // CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID
  uint64_t tls = 0;
  int exit_signal = kSigChld;
  // clone3's set_tid: the child's pid in its own namespace, then in each
  // one above it, for as many levels as given (0: any). Checked by Clone.
  std::span<const int> set_tid{};
};

// What wait4/waitid report about a child.
// CPU time, in ns.
struct CpuTimes {
  uint64_t user_ns = 0;
  uint64_t sys_ns = 0;
  CpuTimes& operator+=(const CpuTimes& o) {
    user_ns += o.user_ns;
    sys_ns += o.sys_ns;
    return *this;
  }
};

struct WaitResult {
  int pid = 0;
  int status = 0;  // wait4 status word
  uint32_t uid = 0;
  CpuTimes times;  // a reaped child's, with its own reaped children's
};

// What wait4/waitid wait for.
struct WaitOptions {
  bool exited = true;      // WEXITED (implied by wait4)
  bool stopped = false;    // WUNTRACED / WSTOPPED
  bool continued = false;  // WCONTINUED
  bool nohang = false;     // WNOHANG
  bool nowait = false;     // WNOWAIT: leave the state to be waited for again
};

class Thread {
 public:
  // Threads are made only by process.cc (the key is private to it).
  class Key {
    friend struct ProcessAccess;
    Key() = default;
  };
  Thread(Key, Process* p, ostd::user::UserContext ctx, ostd::RefPtr<PidNumbers> nrs)
      : tid_(nrs->global()), nrs_(std::move(nrs)), process_(p), user_(std::move(ctx)) {}

  // The global id (the root namespace's number), which Keel's tables use.
  int tid() const { return tid_; }
  // The id as namespace `ns` numbers it: 0 if `ns` does not see the thread.
  int TidIn(const PidNamespace& ns) const { return nrs_->In(ns); }
  // Its numbers in every namespace that sees it (fixed for its life).
  const PidNumbers& nrs() const { return *nrs_; }
  // A number no other thread ever had (tids are reused, and execve gives the
  // execing thread its leader's tid): what the thread's task finds it by.
  uint64_t serial() const { return serial_; }
  Process& process() { return *process_; }
  const Process& process() const { return *process_; }
  ostd::user::UserContext& context() { return user_.context(); }
  ostd::user::UserMode& user_mode() { return user_; }
  // RunThread records the task that runs the thread (the thread itself,
  // under TreeLock(); an empty reference at its exit).
  void set_task(ostd::TaskRef task);
  // The id of that task (ostd::Task::id(), never reused; 0 before the thread
  // first runs). For the thread itself, or under TreeLock().
  uint64_t task_id() const;
  // CPU time the thread has used: its task's, split into user and system
  // time by where the timer ticks found it (AdjustCpuSplit, cputime.h). For
  // the thread itself, or under TreeLock() (so the task is still there).
  CpuTimes cpu_times() const;

  // Signals (see signal.h). A signal is pending for the thread if it is in
  // the thread's or the process's pending set and not blocked.
  bool HasPendingSignal() const;
  // Sends `sig` to this thread (tgkill) and wakes it if it sleeps
  // interruptibly. Signal 0 and out-of-range numbers are ignored.
  void SendSignal(int sig, const SigInfo& info = {}) { (void)TrySendSignal(sig, info); }
  // The same, with the queue's refusal (EAGAIN, sig_queue.h).
  ostd::Status TrySendSignal(int sig, const SigInfo& info);
  SigSet mask() const { return mask_.load(std::memory_order_acquire); }
  SigSet pending_signals() const { return pending_.set(); }
  // The thread's own pending signals and their queued siginfo.
  SigQueue& pending_queue() { return pending_; }
  void set_mask(SigSet m);

  // Sleeps on `wq` until cond() holds (OK) or a signal is pending (EINTR).
  // cond() follows WaitQueue::Wait's rules.
  template <typename Cond>
  ostd::Status WaitInterruptible(ostd::WaitQueue& wq, Cond cond) {
    sleeping_on_.store(&wq, std::memory_order_seq_cst);
    bool interrupted = false;
    wq.Wait([&] {
      if (cond()) return true;
      interrupted = HasPendingSignal();
      return interrupted;
    });
    sleeping_on_.store(nullptr, std::memory_order_seq_cst);
    if (interrupted) return ostd::Err(ostd::Errno::kEINTR);
    return {};
  }

  // clear_child_tid (set_tid_address, CLONE_CHILD_CLEARTID): zeroed and
  // futex-woken when the thread exits.
  ostd::vm::UserOutPtr<int32_t> clear_child_tid{};
  // set_robust_list: the user address of the thread's robust_list_head (0:
  // none), walked when the thread exits (ExitRobustList, futex.h).
  std::atomic<uint64_t> robust_list{0};
  // rseq(2): the registration and the CPU last written to its cpu_id
  // (-1: not yet). Only the thread itself touches them.
  RseqArea rseq;
  int64_t rseq_cpu = -1;
  // The process's rseq_kick this thread has answered (membarrier's RSEQ
  // command: a newer one makes an interrupt in user mode a kernel event).
  uint64_t rseq_kick_seen = 0;
  // Scheduling attributes (SchedAttrs). Guarded by TreeLock(): other
  // threads read and change them (sched_setscheduler, setpriority).
  SchedAttrs sched;
  // Gives the thread's task the CPU weight `sched` asks for (ostd's
  // Task::set_nice): the nice value for SCHED_OTHER and SCHED_BATCH, 19 for
  // SCHED_IDLE (Linux weighs it lower still), -20 for SCHED_FIFO and
  // SCHED_RR (Keel has no real-time class: such a thread gets the largest
  // share, not strict priority). Call with TreeLock() held after changing
  // `sched`.
  void ApplySched();
  // sigaltstack.
  uint64_t altstack_sp = 0;
  uint64_t altstack_size = 0;
  int32_t altstack_flags = 2;  // SS_DISABLE
  // CLONE_CHILD_SETTID: the child writes its tid here when it starts.
  ostd::vm::UserOutPtr<int32_t> set_child_tid{};
  const InitialExec* initial_exec = nullptr;
  // Set when the thread must leave (exit, exit_group, a fatal signal).
  std::atomic<bool> exiting{false};
  int exit_status = 0;  // wait status word for exit(2)
  // Makes the thread notice `exiting` or a new signal soon: wakes it if it
  // sleeps interruptibly (a thread in user mode notices at its next tick).
  void Kick();
  // The number of a system call that just failed with EINTR and may be
  // restarted (SA_RESTART, or no handler ran); -1 if none. DeliverSignals
  // decides and clears it.
  int64_t restart_nr = -1;
  // The system call the thread is in, for /proc/<pid>/syscall and wchan:
  // its number (-1 in user mode), stored last on entry (release) and
  // cleared on exit, with its arguments and the user stack and instruction
  // pointers. Other threads read it without a lock: whoever reads the same
  // number before and after the rest has values of that call.
  struct SyscallTrace {
    std::atomic<int64_t> nr{-1};
    std::array<std::atomic<uint64_t>, 6> args{};
    std::atomic<uint64_t> sp{0};
    std::atomic<uint64_t> pc{0};
  };
  SyscallTrace syscall_trace;
  // How that call restarts: its kind in syscall_list.h, or kNoIntr if it set
  // restart_no_intr.
  Restart restart_how = Restart::kNever;
  // Set by a handler about to fail with EINTR that must be restarted even
  // after a handler without SA_RESTART (Linux's ERESTARTNOINTR); HandleSyscall
  // reads and clears it after every call.
  bool restart_no_intr = false;
  // rt_sigsuspend / ppoll / pselect6: the mask to restore after the handler.
  bool restore_mask_after_signal = false;
  SigSet saved_mask = 0;

 private:
  friend class Process;
  friend struct ProcessAccess;
  friend void DeliverSignals(Thread& t);
  friend std::optional<TakenSignal> TakeSignal(Thread& t, SigSet allowed);

  const int tid_;
  const ostd::RefPtr<PidNumbers> nrs_;
  const uint64_t serial_ = NextSerial();
  static uint64_t NextSerial();
  Process* process_;
  ostd::user::UserMode user_;
  std::atomic<SigSet> mask_{0};
  SigQueue pending_;  // freed with the thread
  ostd::AtomicPtr<ostd::WaitQueue> sleeping_on_;
  // The task running the thread, kept alive by this reference: written only
  // by the thread itself (set_task), under TreeLock(), so read by the thread
  // itself or under that lock. Its id, for lock-free comparisons.
  ostd::TaskRef task_;
  std::atomic<uint64_t> task_id_{0};
  // What cpu_times() last reported (its two parts never shrink).
  mutable ostd::SpinLock cpu_split_lock_;
  mutable CpuSplit cpu_split_ ABSL_GUARDED_BY(cpu_split_lock_);
};

class Process {
 public:
  // Processes are made only by process.cc (the key is private to it); the
  // process table owns them.
  class Key {
    friend struct ProcessAccess;
    Key() = default;
  };
  explicit Process(Key);
  ~Process();

  // The global ids (root-namespace numbers, which Keel's tables use) of the
  // process, its group and its session.
  int pid() const { return pid_; }
  int pgid() const { return pgid_.load(std::memory_order_relaxed); }
  int sid() const { return sid_.load(std::memory_order_relaxed); }
  // The pid as namespace `ns` numbers it (0: `ns` does not see it).
  int PidIn(const PidNamespace& ns) const { return pid_nrs_->In(ns); }
  const PidNumbers& pid_nrs() const { return *pid_nrs_; }
  // The group's and the session's numbers (shared with their leaders).
  const ostd::RefPtr<PidNumbers>& pgid_nrs_locked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return pgid_nrs_;
  }
  const ostd::RefPtr<PidNumbers>& sid_nrs_locked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return sid_nrs_;
  }
  // Moves the process to the group (setpgid) or the session and group
  // (setsid) these numbers name.
  void SetPgidLocked(ostd::RefPtr<PidNumbers> pgid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
  void SetSidLocked(ostd::RefPtr<PidNumbers> sid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
  // The parent's global pid (1 once reparented to init; 0 for init).
  // Lock-free: kept next to the parent pointer, which changes under
  // TreeLock().
  int ppid() const { return ppid_.load(std::memory_order_acquire); }
  // The ids as namespace `ns` sees them (0 where it does not), as getppid,
  // getpgid and getsid of a caller in `ns` report them. Linux shows 0 for
  // a parent outside the caller's namespace.
  int PpidInLocked(const PidNamespace& ns) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return parent_ == nullptr ? 0 : parent_->PidIn(ns);
  }
  int PgidInLocked(const PidNamespace& ns) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return pgid_nrs_->In(ns);
  }
  int SidInLocked(const PidNamespace& ns) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return sid_nrs_->In(ns);
  }
  // The parent, for callers that hold TreeLock().
  Process* parent_locked() const { return parent_; }

  // The pid namespace the process runs in, and the one its children get
  // (they differ after unshare(CLONE_NEWPID)); see pid_namespace.h.
  PidNamespace& pid_ns() { return *pid_ns_; }
  const PidNamespace& pid_ns() const { return *pid_ns_; }
  const PidNamespace& pid_ns_for_children_locked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return *pid_ns_for_children_;
  }
  // unshare(CLONE_NEWPID): children go to a new namespace below pid_ns().
  // EINVAL if that was done already, ENOSPC, ENOMEM.
  ostd::Status UnsharePidNamespace();
  // The namespace children go to (a new reference).
  ostd::RefPtr<PidNamespace> pid_ns_for_children() const;
  // The UTS namespace (uts.h): a new reference, since unshare and setns
  // replace it.
  ostd::RefPtr<UtsNamespace> uts_ns() const;
  const ostd::RefPtr<UtsNamespace>& uts_ns_locked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return uts_ns_;
  }
  // unshare(CLONE_NEWUTS): a copy of the names, for this process alone;
  // setns(2) into a UTS namespace: `ns`. EINVAL with more than one thread
  // (the namespace is per process in Keel), ENOMEM.
  ostd::Status UnshareUts();
  ostd::Status SetUtsNs(ostd::RefPtr<UtsNamespace> ns);
  // The same for the network namespace (net_namespace.h): unshare gives a
  // new, empty one.
  ostd::RefPtr<NetNamespace> net_ns() const;
  const ostd::RefPtr<NetNamespace>& net_ns_locked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return net_ns_;
  }
  ostd::Status UnshareNet();
  ostd::Status SetNetNs(ostd::RefPtr<NetNamespace> ns);
  // setns(2) into a pid namespace: children go to `ns` (setns.cc checks
  // that they may). Per process in Keel, so for every thread's children
  // (Linux: the calling thread's).
  void SetPidNsForChildren(ostd::RefPtr<PidNamespace> ns);
  // Whether the process alone uses its fs context: one thread, and no other
  // process shares it through CLONE_FS (Linux's fs->users == 1).
  bool SoleFsUser() const;
  // Whether the process has one thread and no other process shares its
  // address space through CLONE_VM (Linux's current_is_single_threaded).
  bool SoleMmUser() const;
  // setns(2) into a mount namespace: `fsc` (in that namespace, root and cwd
  // at its root) becomes the process's fs context. EINVAL unless
  // SoleFsUser().
  ostd::Status ReplaceFs(ostd::RefPtr<fs::FsContext> fsc);
  // unshare(CLONE_FS), and CLONE_NEWNS with `new_mount_ns`: a private copy
  // of the fs context, in a copy of the mount namespace with CLONE_NEWNS.
  // The context is per process in Keel, so with more than one thread this
  // is EINVAL (Linux gives the calling thread alone a new one). ENOMEM.
  ostd::Status UnshareFs(bool new_mount_ns);
  // unshare(CLONE_FILES) and close_range(CLOSE_RANGE_UNSHARE): a private
  // copy of the descriptor table when another process shares it
  // (CLONE_FILES). The table is per process in Keel, so with more than one
  // thread this is EINVAL (Linux gives the calling thread alone a copy).
  // ENOMEM.
  ostd::Status UnshareFiles();

  AddressSpace& mm() { return mm_->space(); }
  MmHandle& mm_handle() { return *mm_; }
  fs::FdTable& files() { return *files_; }
  // Whether the calling thread, if it belongs to this process, is the only
  // user of the descriptor table: the process's only live thread, and no
  // other process shares the table (CLONE_FILES). See FdTable::Get. A count
  // can rise only through this very thread (clone), or through a /proc
  // reader that only reads.
  bool SoleFilesUser() const;
  fs::FsContext& fs() { return *fs_; }
  // Who the process acts as (credentials.h). Changed only by the process's
  // own syscalls (set*id, capset, prctl, execve), through SetCreds, under
  // TreeLock(): other processes read them under that lock. Keel keeps one
  // set per process where Linux keeps one per thread (glibc's set*id
  // wrappers make all threads agree anyway; a raw capset in one thread of
  // a threaded program changes them for all).
  const Credentials& creds() const { return creds_; }
  // Commits new credentials (Linux's commit_creds): a change of identity or a
  // gain of capabilities clears the parent-death signal and makes the
  // process non-dumpable.
  void SetCreds(const Credentials& c);
  // SetCreds for a transition that may fail (credentials.h): commits the
  // new credentials whole, or returns the transition's errno with nothing
  // changed.
  ostd::Status CommitCreds(const ostd::Result<Credentials>& next);
  // The supplementary groups (null: none). A reference, since setgroups in
  // another thread may replace the list at any time.
  ostd::RefPtr<GroupList> groups() const;
  void set_groups(ostd::RefPtr<GroupList> groups);

  // prctl state (kernel/syscalls/info.cc). PR_SET_PDEATHSIG: the signal sent
  // when the parent exits (0: none). PR_SET_CHILD_SUBREAPER: orphaned
  // descendants are reparented here rather than to init. PR_SET_NO_NEW_PRIVS:
  // execve grants nothing (sticky, inherited). PR_SET_DUMPABLE: 0 or 1.
  // personality(2)'s persona (stored and reported; Keel acts on no flag).
  std::atomic<int> pdeath_signal{0};
  std::atomic<bool> child_subreaper{false};
  // The first process made in its (non-initial) pid namespace: the
  // namespace's init (see pid_namespace.h). Set by clone.
  bool ns_init = false;
  // Whether `sig` sent with `info` reaches the process only through a
  // handler (Linux's SIGNAL_UNKILLABLE): always for the global init (but
  // for a forced fault), and for a pid namespace's init unless it is a
  // SIGKILL or SIGSTOP from the kernel or from outside the namespace.
  bool Unkillable(int sig, const SigInfo& info) const {
    if (info.forced) return false;
    if (pid_ == 1) return true;
    if (!ns_init) return false;
    bool outside = info.from_outside_ns || info.code == kSiKernel;
    return !(outside && (sig == kSigKill || sig == kSigStop));
  }
  std::atomic<bool> no_new_privs{false};
  std::atomic<int> dumpable{1};
  std::atomic<uint32_t> personality{0};
  SignalHandlers& handlers() { return *handlers_; }
  // Null once the process is a zombie.
  SignalHandlers* handlers_ptr() { return handlers_.get(); }

  // The command name (comm): the last component of the executable, 15 bytes.
  std::string_view name() const {
    return std::string_view(std::span<const char>(name_).first(name_len_));
  }
  void set_name(std::string_view name);
  // The executable's path (for /proc/<pid>/exe).
  std::string_view exe_path() const {
    return std::string_view(std::span<const char>(exe_).first(exe_len_));
  }
  void set_exe_path(std::string_view path);

  // Sends `sig` to the process: it stays pending for the process until a
  // thread that does not block it takes it; such a thread is kicked.
  void SendSignal(int sig, const SigInfo& info = {}) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    (void)TrySendSignal(sig, info);
  }
  // The same, with the queue's refusal (EAGAIN, sig_queue.h).
  ostd::Status TrySendSignal(int sig, const SigInfo& info)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
  // Process-directed pending signals (emptied when the last thread exits).
  SigQueue pending;
  // Who a signal queued to this process or its threads is charged to.
  SigCharge sig_charge() const {
    return SigCharge{.uid = creds_.uid, .limit = rlimits[kRlimitSigpending].cur};
  }

  // Children wait here for state changes (wait4, waitid); child_events
  // counts them so that the wait condition needs no lock.
  ostd::WaitQueue child_wait;
  std::atomic<uint64_t> child_events{0};

  // Swaps in the address space execve built; returns the old one (the
  // caller drops its reference once nothing runs in it).
  ostd::RefPtr<MmHandle> ReplaceMm(ostd::RefPtr<MmHandle> mm) {
    return std::exchange(mm_, std::move(mm));
  }
  // Blocks until the calling thread is the process's only live one.
  void WaitForOtherThreads() {
    thread_exit_wait_.Wait([&] { return live_threads_.load(std::memory_order_acquire) == 1; });
  }

  // The argument strings of the running program, NUL-separated
  // (/proc/<pid>/cmdline); at most kCmdlineMax bytes are kept.
  static constexpr size_t kCmdlineMax = 4096;
  void set_cmdline(std::span<const std::string_view> argv);
  // The command line as NUL-separated bytes (fork copies the parent's).
  void set_cmdline_bytes(std::span<const char> bytes);
  // Copies the command line into `out`; returns the bytes copied.
  size_t CopyCmdline(std::span<char> out) const;

  // The address space, descriptor table and fs context, or null once the
  // process is a zombie. For callers that hold TreeLock() (take a reference
  // before dropping it).
  AddressSpace* mm_locked() const { return mm_ ? &mm_->space() : nullptr; }
  fs::FdTable* files_locked() const { return files_.get(); }
  fs::FsContext* fs_locked() const { return fs_.get(); }
  bool zombie_locked() const { return zombie_; }

  // CPU time of the process (its threads, live and exited) and of its
  // reaped children (with theirs), as times(2) and getrusage(2) report.
  CpuTimes SelfTimesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
  CpuTimes children_times_locked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    return children_times_;
  }

  // Number of live threads.
  int thread_count() const { return live_threads_.load(std::memory_order_acquire); }
  // Calls fn(Thread&) for each live thread.
  template <typename F>
  void ForEachThreadLocked(F&& fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
    for (const ostd::Box<Thread>& t : threads_) fn(*t);
  }

  // Resource limits (prlimit64): {cur, max} per RLIMIT_* index.
  struct Rlimit {
    uint64_t cur;
    uint64_t max;
  };
  static constexpr int kRlimitCount = 16;
  // The RLIMIT_* indexes Keel enforces (asm-generic/resource.h).
  static constexpr int kRlimitFsize = 1;        // write/truncate: EFBIG and SIGXFSZ
  static constexpr int kRlimitNproc = 6;        // fork/clone: EAGAIN (not for root)
  static constexpr int kRlimitNofile = 7;       // the descriptor table's size
  static constexpr int kRlimitMemlock = 8;      // mlock/mlockall/MAP_LOCKED: ENOMEM, EAGAIN
  static constexpr int kRlimitAs = 9;           // mmap/mremap/brk: ENOMEM
  static constexpr int kRlimitSigpending = 11;  // queued signals per real uid (sig_queue.h)
  std::array<Rlimit, kRlimitCount> rlimits{};

  uint64_t start_ns = 0;
  // ITIMER_REAL (alarm, setitimer): the monotonic time of the next SIGALRM
  // (0: disarmed) and the reload interval. Guarded by TreeLock().
  uint64_t alarm_at_ns = 0;
  uint64_t alarm_interval_ns = 0;
  // ITIMER_VIRTUAL and ITIMER_PROF: the process CPU time (user, or user +
  // system) at which the signal is due (0: disarmed), and the reload.
  // Guarded by TreeLock().
  uint64_t virt_at_ns = 0, virt_interval_ns = 0;
  uint64_t prof_at_ns = 0, prof_interval_ns = 0;
  // POSIX timers (posix_timer.h) and the next id to try. Guarded by TreeLock().
  std::array<PosixTimer, kMaxPosixTimers> posix_timers{};
  int32_t next_timer_id = 0;

  // membarrier(2): the commands registered (MEMBARRIER_STATE bits of
  // membarrier.cc; fork copies them with the memory, execve clears them), and a
  // counter bumped by MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ so that threads
  // interrupted in user mode restart their rseq critical sections.
  std::atomic<uint32_t> membarrier_state{0};
  std::atomic<uint64_t> rseq_kick{0};

  // Job control: set while stopped; threads sleep on stop_wait.
  std::atomic<bool> stopped{false};
  ostd::WaitQueue stop_wait;

  // vfork: the parent sleeps until the child execs or exits.
  std::atomic<bool> vfork_done{false};
  ostd::WaitQueue vfork_wait;

  // Work a subsystem above this layer leaves for the process's exit.
  class ExitWork : public ostd::RefCounted<ExitWork> {
   public:
    virtual ~ExitWork() = default;
    // Called once, when the last thread is gone, before the address space
    // and the files go.
    virtual void Run(Process& p) = 0;
  };
  // System V semaphore undo (semop's SEM_UNDO): set by sysv_sem.cc, under
  // its table lock, on first use. A fork starts without it; execve keeps
  // it, as Linux's undo list. Set and taken under TreeLock() as well, where
  // kcmp(KCMP_SYSVSEM) reads it.
  ostd::RefPtr<ExitWork> sem_undo;

 private:
  friend class Thread;
  friend struct ProcessAccess;
  friend ostd::Result<Process*> CreateInitProcess();
  friend ostd::Result<Thread*> StartThread(Process& p, ostd::user::UserContext ctx,
                                           ostd::RefPtr<PidNumbers> nrs, const ThreadInit& init);
  friend ostd::Result<int> Clone(Thread& self, const CloneArgs& args);
  friend void FinishThread(Thread* t);
  friend void ExitGroupLocked(Process& p, int wait_status);
  friend ostd::Result<WaitResult> WaitChild(Thread& self, int which, const WaitOptions& options);
  friend void StopProcess(Process& p, int sig);
  friend void ContinueProcessLocked(Process& p);

  int pid_ = 0;
  ostd::RefPtr<PidNumbers> pid_nrs_;  // set before the process is in the table
  std::atomic<int> pgid_{0};
  std::atomic<int> sid_{0};
  ostd::RefPtr<PidNumbers> pgid_nrs_ ABSL_GUARDED_BY(TreeLock());
  ostd::RefPtr<PidNumbers> sid_nrs_ ABSL_GUARDED_BY(TreeLock());
  Process* parent_ = nullptr;
  std::atomic<int> ppid_{0};
  ostd::Vec<Process*> children_;          // not owned: the process table owns them
  ostd::Vec<ostd::Box<Thread>> threads_;  // the live threads
  std::atomic<int> live_threads_{0};
  ostd::RefPtr<PidNamespace> pid_ns_;
  ostd::RefPtr<PidNamespace> pid_ns_for_children_;
  ostd::RefPtr<UtsNamespace> uts_ns_ ABSL_GUARDED_BY(TreeLock());
  ostd::RefPtr<NetNamespace> net_ns_ ABSL_GUARDED_BY(TreeLock());
  ostd::RefPtr<MmHandle> mm_;
  ostd::RefPtr<fs::FdTable> files_;
  ostd::RefPtr<fs::FsContext> fs_;
  ostd::RefPtr<SignalHandlers> handlers_;
  Credentials creds_;
  mutable ostd::SpinLock groups_lock_;
  ostd::RefPtr<GroupList> groups_ ABSL_GUARDED_BY(groups_lock_);
  std::array<char, 16> name_{};
  size_t name_len_ = 0;
  std::array<char, 256> exe_{};
  size_t exe_len_ = 0;
  mutable ostd::SpinLock cmdline_lock_;
  std::array<char, kCmdlineMax> cmdline_ ABSL_GUARDED_BY(cmdline_lock_){};
  size_t cmdline_len_ ABSL_GUARDED_BY(cmdline_lock_) = 0;
  // Zombie state: set when the last thread exited, read by wait.
  bool zombie_ = false;
  bool reaped_ = false;
  int wait_status_ = 0;         // the wait4 status word
  int exit_signal_ = kSigChld;  // sent to the parent at exit (clone's choice)
  // Job-control events not yet collected by wait (WUNTRACED, WCONTINUED).
  int stop_sig_ = 0;
  bool stop_unreported_ = false;
  bool cont_unreported_ = false;
  // exit_group: the status every exiting thread reports.
  std::atomic<bool> group_exiting_{false};
  int group_status_ = 0;
  // Threads announce their exit here (execve waits for the others to go).
  ostd::WaitQueue thread_exit_wait_;
  // CPU time of exited threads, and of reaped children (under TreeLock()).
  CpuTimes exited_threads_times_;
  CpuTimes children_times_;
};

// --- Operations (process.cc) ---

// Creates the first process (pid 1) with no thread yet: standard file
// descriptors on the console, the root as its cwd. ENOMEM. The process table
// owns it; the pointer is a borrowed one.
ostd::Result<Process*> CreateInitProcess();

// Creates a thread of `p` with the given user context and starts its task.
// Null `nrs` allocates its ids (the first thread of a process takes its
// pid). `p` owns the thread until it exits (FinishThread); the pointer is
// borrowed.
ostd::Result<Thread*> StartThread(Process& p, ostd::user::UserContext ctx,
                                  ostd::RefPtr<PidNumbers> nrs, const ThreadInit& init);
// The end of a thread, on its own task after it left user mode for good.
void FinishThread(Thread* t);

// clone(2) after argument checks. Returns the child's tid as the caller's
// namespace numbers it.
ostd::Result<int> Clone(Thread& self, const CloneArgs& args);

// exit(2): ends the calling thread (status is the wait status word).
void ExitThread(Thread& self, int wait_status);

// Clone and ExitThread under Linux's names for kprobes (kernel_clone and
// do_exit in kernel/tracing/linux_symbols.h): Linux's argument first (so in
// %di; CloneArgs starts with the flags, as kernel_clone_args), the thread
// last, and kernel_clone's return (the new tid or -errno). Not inlined.
int64_t KernelClone(const CloneArgs& args, Thread& self);
void DoExit(int64_t wait_status, Thread& self);
// exit_group(2) and fatal signals: ends every thread of the process.
void ExitGroup(Process& p, int wait_status);
void ExitGroupLocked(Process& p, int wait_status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());

// Lookups by global id (nullptr if none). The caller holds TreeLock().
Process* FindProcessLocked(int pid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
Thread* FindThreadLocked(int tid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
// Lookups by the number namespace `ns` (a caller's) gives: only what `ns`
// sees is found. The same as the above in the root namespace.
Process* FindProcessInLocked(const PidNamespace& ns, int nr)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
Thread* FindThreadInLocked(const PidNamespace& ns, int nr)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());

// Linux's ptrace_may_access(..., PTRACE_MODE_*_REALCREDS) as Keel checks
// it (kcmp, process_vm_*, pidfd_getfd, get_robust_list): a process may
// always reach itself, another only as creds::MayPtrace allows, with its
// dumpable flag. Credentials are read under TreeLock().
bool MayAccessLocked(const Process& caller, const Process& target)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());

// A number that names nothing: what GlobalPidLocked gives for a number
// nothing has (every lookup of it fails).
inline constexpr int kNoPid = kPidMax;
// The global id of the thread, process, process group or session that
// namespace `ns` numbers `nr` (> 0); kNoPid if none. The root namespace's
// numbers are the global ids.
int GlobalPidLocked(const PidNamespace& ns, int nr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
// GlobalPidLocked for a number `caller` gave, taking the lock; numbers
// <= 0 (which mean "me" or "a group") come back as they are.
int GlobalPid(const Process& caller, int nr);
// The other way: the number `ns` gives global id `global`; 0 if `ns` does
// not see it or nothing live has it any more.
int PidInLocked(int global, const PidNamespace& ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
// PidInLocked for `caller`'s namespace, taking the lock (not needed, and
// not taken, in the root namespace).
int PidFor(const Process& caller, int global);
// Calls fn(Process&) for every process, by pid (under the tree lock).
template <typename F>
void ForEachProcess(F&& fn);

// wait4/waitid core. `which`: the pid rules of wait4 (>0 pid, -1 any, 0 own
// group, <-1 group), in global ids. Returns the reaped child's pid as the
// caller's namespace numbers it and fills *status, or 0 with WNOHANG when
// nothing changed. ECHILD, EINTR.
ostd::Result<WaitResult> WaitChild(Thread& self, int which, const WaitOptions& options);

// Job control. A stop signal's default action stops every thread of the
// process until SIGCONT (or SIGKILL); the parent is told either way.
void StopProcess(Process& p, int sig);
void ContinueProcessLocked(Process& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
// Blocks the calling thread while its process is stopped.
void WaitWhileStopped(Thread& self);

// Processes in the table (for /proc and sysinfo).
uint64_t ProcessCount();

// The out-of-memory killer, for a thread whose page fault found no free
// frame: unless an earlier victim is still being torn down, SIGKILLs the
// process with the most resident memory (never pid 1: with nothing else to
// pick, the faulting process itself) and logs the choice as Linux does
// ("Out of memory: Killed process ..."). Then pauses the caller briefly so
// the victim can exit and free its frames; the caller retries its access (or
// dies, if it was the victim). Task context; takes the tree lock.
void HandleOutOfMemory(Thread& self);

// The thread the calling task runs (nullptr for kernel tasks).
Thread* CurrentThread();

// For probe handlers (any context, never spins): the calling thread's tid
// and comm, copied while the process tree lock happens to be free. False if
// the lock is busy or the task runs no thread.
struct ThreadIdentity {
  int tid = 0;
  std::array<char, 16> comm{};
  size_t comm_len = 0;
};
bool TryCurrentThreadIdentity(ThreadIdentity& out);
// The same for a caller that already runs with interrupts off on CPU `cpu`
// (a probe handler: ostd runs them so), which saves the interrupt guard and
// a second CPU lookup. With interrupts on, it is TryCurrentThreadIdentity.
bool TryCurrentThreadIdentityIrqsOff(uint32_t cpu, ThreadIdentity& out);

// The wait status words.
constexpr int ExitedStatus(int code) { return (code & 0xff) << 8; }
constexpr int SignaledStatus(int sig) { return sig & 0x7f; }

namespace process_internal {
// The process table (sorted by pid); it owns the processes.
const ostd::Vec<ostd::Box<Process>>& AllProcesses() ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock());
}  // namespace process_internal

template <typename F>
void ForEachProcess(F&& fn) {
  ostd::SpinLockGuard guard(TreeLock());
  for (const ostd::Box<Process>& p : process_internal::AllProcesses()) fn(*p);
}

}  // namespace kernel

#endif  // KERNEL_PROCESS_PROCESS_H_
