// System V semaphores: semget, semop, semtimedop, semctl.
//
// One machine-wide set of semaphore sets (Keel has no IPC namespaces), each
// with its values, a wait queue and a version counter that changes whenever
// the values do; a blocked semop sleeps until the version moves, then tries
// again. SEM_UNDO: each operation's opposite is kept per process and
// semaphore (semadj) and applied when the process exits (clamped to
// [0, SEMVMX], as Linux); SETVAL and SETALL reset those adjustments.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/fs/ipc_next_id.h"
#include "kernel/process/clock.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/sem_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/sysv_ipc.h"
#include "kernel/syscalls/timeout.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/task/wait_queue.h"
#include "ostd/timer.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;
using sem_abi::SemBuf;

using sysv::Ipc64Perm;
using sysv::kIpc64;
using sysv::kIpcCreat;
using sysv::kIpcExcl;
using sysv::kIpcPrivate;
using sysv::kIpcRmid;
using sysv::kIpcSet;
using sysv::kIpcStat;
using sysv::kSeqMultiplier;
constexpr int kGetPid = 11, kGetVal = 12, kGetAll = 13, kGetNcnt = 14, kGetZcnt = 15, kSetVal = 16,
              kSetAll = 17;
constexpr int kIpcInfo = 3, kSemStat = 18, kSemInfo = 19, kSemStatAny = 20;

// struct seminfo (IPC_INFO, SEM_INFO).
struct SemInfo {
  int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
  OSTD_POD(SemInfo, semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem);
};
static_assert(sizeof(SemInfo) == 40);

struct SemidDs {
  Ipc64Perm perm;
  int64_t otime;
  uint64_t unused1;
  int64_t ctime;
  uint64_t unused2;
  uint64_t nsems;
  uint64_t unused3, unused4;
  OSTD_POD(SemidDs, perm, otime, unused1, ctime, unused2, nsems, unused3, unused4);
};
static_assert(sizeof(SemidDs) == 104);

// A semop that waits: its operations (on the waiter's stack, which stays
// until they are off the set's list), the process whose undo list they
// update, where they block now and, once another call completed them or
// the set went, the result.
struct Pending {
  std::span<const SemBuf> ops;
  int pid = 0;
  Process* proc = nullptr;
  bool undo = false;
  sem_abi::SemAttempt blocked;
  bool done = false;
  ostd::Status result;
};

struct SemSet : ostd::RefCounted<SemSet> {
  int32_t key = 0;
  int id = 0;
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0, mode = 0;
  int64_t otime = 0, ctime = 0;
  bool removed = false;
  ostd::Vec<uint16_t> vals;
  ostd::Vec<int32_t> last_pid;  // GETPID: the last process to change each one
  ostd::Vec<Pending*> pending;  // waiting semops in arrival order
  std::atomic<uint64_t> version{0};
  ostd::WaitQueue wq;
  void Changed() {
    version.fetch_add(1, std::memory_order_release);
    wq.WakeAll();
  }
};

// The table: slots of sets, under one lock (which also guards every set's
// fields; semaphore traffic in Keel's workloads is light).
ostd::SpinLock table_lock;
sysv::IpcIds<SemSet> sets ABSL_GUARDED_BY(table_lock);

// The set with `id`, referenced; EINVAL if there is none (or it was removed).
ostd::Result<ostd::RefPtr<SemSet>> FindSet(int id) {
  ostd::SpinLockGuard guard(table_lock);
  return sets.Find(id);
}

// The ipc permission check (root passes): `want` is 4 (read) or 2 (alter).
bool Allowed(const SemSet& s, const Credentials& c, uint32_t want) {
  return sysv::IpcOwner{.uid = s.uid, .gid = s.gid, .cuid = s.cuid, .cgid = s.cgid, .mode = s.mode}
      .Allows(c, want);
}

SyscallResult SysSemget(Thread& self, int key, int nsems_arg, uint32_t flags) {
  int64_t nsems = nsems_arg;
  const Credentials& c = self.process().creds();
  if (nsems < 0 || nsems > sem_abi::kSemMsl) return Err(Errno::kEINVAL);
  ostd::SpinLockGuard guard(table_lock);
  if (key != kIpcPrivate) {
    if (SemSet* s = sets.FindKey(key)) {
      if ((flags & kIpcCreat) != 0 && (flags & kIpcExcl) != 0) return Err(Errno::kEEXIST);
      if (!Allowed(*s, c, (flags >> 6) & 6)) return Err(Errno::kEACCES);
      if (nsems > static_cast<int64_t>(s->vals.size())) return Err(Errno::kEINVAL);
      return s->id;
    }
    if ((flags & kIpcCreat) == 0) return Err(Errno::kENOENT);
  }
  if (nsems == 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int id, sets.Reserve(sem_abi::kSemMni, fs::ipc::TakeNextId(fs::ipc::Kind::kSem)));
  OSTD_TRY_ASSIGN(ostd::RefPtr<SemSet> s, ostd::MakeRef<SemSet>());
  size_t n = static_cast<size_t>(nsems);
  if (!s->vals.Resize(n) || !s->last_pid.Resize(n)) {
    return Err(Errno::kENOMEM);  // `s` is freed (its Vecs only) under the lock, as before
  }
  s->key = key;
  s->uid = s->cuid = c.euid;
  s->gid = s->cgid = c.egid;
  s->mode = flags & 0777;
  s->ctime = sysv::NowSeconds();
  s->id = id;
  sets.Insert(std::move(s));
  return static_cast<uint64_t>(id);
}

// semadj: what `pid`'s exit adds to semaphore `num` of set `semid`.
struct Undo {
  int pid;
  int semid;
  uint16_t num;
  int32_t adj;
};
ostd::Vec<Undo> undos ABSL_GUARDED_BY(table_lock);

// Gives the list's storage back once it is empty (no memory held when no
// process has an adjustment: the syscall fuzzer's leak check counts it).
void TrimUndosLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  if (undos.empty()) undos = ostd::Vec<Undo>();
}

// Linux's SEMAEM: the largest adjustment, either way.
constexpr int32_t kSemAem = sem_abi::kSemVmx;

size_t FindUndoLocked(int pid, int semid, uint16_t num) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  for (size_t i = 0; i < undos.size(); ++i) {
    if (undos[i].pid == pid && undos[i].semid == semid && undos[i].num == num) return i;
  }
  return undos.size();
}

// Drops the adjustments of set `semid` (or of its semaphore `num` only).
void ForgetUndosLocked(int semid, std::optional<uint16_t> num)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  for (size_t i = 0; i < undos.size();) {
    if (undos[i].semid == semid && (!num || undos[i].num == *num)) {
      undos[i] = undos[undos.size() - 1];
      undos.PopBack();
    } else {
      ++i;
    }
  }
  TrimUndosLocked();
}

// Applies a process's adjustments when it exits.
class SemUndoAtExit final : public Process::ExitWork {
 public:
  void Run(Process& p) override;
};

// Takes the set out of the table (IPC_RMID): waiters wake with EIDRM.
void RemoveLocked(SemSet& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  sets.Remove(s);
  s.removed = true;
  ForgetUndosLocked(s.id, std::nullopt);
  for (Pending* q : s.pending) {
    q->done = true;
    q->result = Err(Errno::kEIDRM);
  }
  s.pending.Clear();
}

bool Alters(std::span<const SemBuf> ops) {
  for (const SemBuf& op : ops) {
    if (op.sem_op != 0) return true;
  }
  return false;
}

bool CompletePendingLocked(SemSet& set) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock);

void SemUndoAtExit::Run(Process& p) {
  ostd::Vec<ostd::RefPtr<SemSet>> changed;
  {
    ostd::SpinLockGuard guard(table_lock);
    for (size_t i = 0; i < undos.size();) {
      Undo u = undos[i];
      if (u.pid != p.pid()) {
        ++i;
        continue;
      }
      undos[i] = undos[undos.size() - 1];
      undos.PopBack();
      ostd::Result<ostd::RefPtr<SemSet>> found = sets.Find(u.semid);
      if (u.adj == 0 || !found) continue;
      SemSet& set = **found;
      int32_t v = std::clamp<int32_t>(int32_t{set.vals[u.num]} + u.adj, 0, sem_abi::kSemVmx);
      set.vals[u.num] = static_cast<uint16_t>(v);
      set.last_pid[u.num] = p.pid();
      set.otime = sysv::NowSeconds();
      CompletePendingLocked(set);
      // Waking is best effort if the list cannot grow: waiters also poll.
      if (changed.size() == 0 || changed[changed.size() - 1].get() != &set) {
        (void)changed.Push(*found);
      }
    }
    TrimUndosLocked();
  }
  for (ostd::RefPtr<SemSet>& set : changed) set->Changed();
}

// Makes sure `self`'s process has an adjustment for every SEM_UNDO operation
// of `ops` and that applying them keeps each within +-SEMAEM (else ERANGE,
// as Linux). Before the operations apply, so nothing fails after.
ostd::Status PrepareUndosLocked(Process& p, const SemSet& set, std::span<const SemBuf> ops)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  for (size_t k = 0; k < ops.size(); ++k) {
    const SemBuf& op = ops[k];
    if ((op.sem_flg & sem_abi::kSemUndo) == 0 || op.sem_op == 0 || op.sem_num >= set.vals.size()) {
      continue;
    }
    size_t i = FindUndoLocked(p.pid(), set.id, op.sem_num);
    int32_t adj = i < undos.size() ? undos[i].adj : 0;
    for (const SemBuf& other : ops) {
      if ((other.sem_flg & sem_abi::kSemUndo) != 0 && other.sem_num == op.sem_num) {
        adj -= other.sem_op;
      }
    }
    if (adj < -kSemAem || adj > kSemAem) return ostd::Err(Errno::kERANGE);
    if (i == undos.size()) {
      OSTD_TRY(undos.Push(Undo{.pid = p.pid(), .semid = set.id, .num = op.sem_num, .adj = 0}));
    }
  }
  if (!p.sem_undo) {
    OSTD_TRY_ASSIGN(ostd::RefPtr<SemUndoAtExit> work, ostd::MakeRef<SemUndoAtExit>());
    ostd::SpinLockGuard tree(TreeLock());  // kcmp reads it under the tree lock
    p.sem_undo = std::move(work);
  }
  return {};
}

// Records the opposite of each applied SEM_UNDO operation.
void RecordUndosLocked(int pid, const SemSet& set, std::span<const SemBuf> ops)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  for (const SemBuf& op : ops) {
    if ((op.sem_flg & sem_abi::kSemUndo) == 0 || op.sem_op == 0) continue;
    size_t i = FindUndoLocked(pid, set.id, op.sem_num);
    if (i < undos.size()) undos[i].adj -= op.sem_op;  // made by PrepareUndosLocked
  }
}

// Tries `q`'s operations as one step: true if they all took effect (their
// undo recorded), false if one must wait (q.blocked says which), or their
// error (EFBIG, ERANGE, ENOMEM).
ostd::Result<bool> TryApplyLocked(SemSet& set, Pending& q)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  if (q.undo) OSTD_TRY(PrepareUndosLocked(*q.proc, set, q.ops));
  OSTD_TRY_ASSIGN(q.blocked, sem_abi::SemApply(set.vals.span(), q.ops));
  if (!q.blocked.applied) return false;
  if (q.undo) RecordUndosLocked(q.pid, set, q.ops);
  for (const SemBuf& op : q.ops) set.last_pid[op.sem_num] = q.pid;
  set.otime = sysv::NowSeconds();
  return true;
}

// After the values changed: completes, in arrival order, every waiting semop
// that can now proceed, looking again from the start after one that changed
// the values, as Linux's update_queue. So a waiter's operations take effect
// the moment they can (a release followed at once by IPC_RMID still lets
// the waiters through), not when the waiter next runs. True if any did.
bool CompletePendingLocked(SemSet& set) {
  bool any = false;
  for (size_t i = 0; i < set.pending.size();) {
    Pending& q = *set.pending[i];
    ostd::Result<bool> r = TryApplyLocked(set, q);
    if (r && !*r) {
      ++i;
      continue;
    }
    q.done = true;
    if (r) {
      q.result = {};
    } else {
      q.result = Err(r.error());
    }
    set.pending.Erase(i);
    any = true;
    if (r && Alters(q.ops)) i = 0;
  }
  return any;
}

SyscallResult DoSemop(Thread& self, int id, UserInPtr<SemBuf> sops, uint32_t nsops,
                      std::optional<uint64_t> deadline_ns) {
  if (nsops < 1) return Err(Errno::kEINVAL);
  if (nsops > sem_abi::kSemOpm) return Err(Errno::kE2BIG);
  std::array<SemBuf, sem_abi::kSemOpm> ops_buf;
  std::span<SemBuf> ops = std::span(ops_buf).first(nsops);
  {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r, ostd::vm::UserReader(sops, nsops));
    for (SemBuf& op : ops) {
      OSTD_TRY_ASSIGN(op, r.ReadVal<SemBuf>());
    }
  }
  bool nowait = false;
  bool alters = false;
  bool undo = false;
  for (const SemBuf& op : ops) {
    if ((op.sem_flg & sem_abi::kIpcNowait) != 0) nowait = true;  // Linux: any op's flag
    if ((op.sem_flg & sem_abi::kSemUndo) != 0 && op.sem_op != 0) undo = true;
    if (op.sem_op != 0) alters = true;
  }
  OSTD_TRY_ASSIGN(ostd::RefPtr<SemSet> set, FindSet(id));
  const Credentials& c = self.process().creds();
  Pending q;
  q.ops = ops;
  q.pid = self.process().pid();
  q.proc = &self.process();
  q.undo = undo;
  uint64_t seen = 0;
  {
    ostd::SpinLockGuard guard(table_lock);
    if (set->removed) return Err(Errno::kEIDRM);
    if (!Allowed(*set, c, alters ? 2 : 4)) return Err(Errno::kEACCES);
    OSTD_TRY_ASSIGN(bool applied, TryApplyLocked(*set, q));
    if (applied) {
      if (alters) CompletePendingLocked(*set);
      q.done = true;
    } else {
      if (nowait) return Err(Errno::kEAGAIN);
      OSTD_TRY(set->pending.Push(&q));
    }
    seen = set->version.load(std::memory_order_acquire);
  }
  if (q.done) {
    if (alters) set->Changed();
    return 0;
  }
  // Waits until another call completes the operations (or the set goes);
  // `q` stays on the set's list until then or until this call gives up.
  for (;;) {
    ostd::Status waited = {};
    if (deadline_ns) {
      // Timed waits poll at tick granularity, as futex waits do.
      uint64_t now = ostd::timer::NowNanos();
      if (now >= *deadline_ns) {
        waited = Err(Errno::kEAGAIN);
      } else {
        ostd::SleepFor(std::min<uint64_t>(*deadline_ns - now, 4'000'000));
        if (self.HasPendingSignal()) waited = Err(Errno::kEINTR);
      }
    } else {
      waited = self.WaitInterruptible(
          set->wq, [&] { return set->version.load(std::memory_order_acquire) != seen; });
    }
    ostd::SpinLockGuard guard(table_lock);
    if (q.done) {
      // Completed meanwhile: success even if a signal came too, as Linux.
      if (!q.result) return Err(q.result.error());
      return 0;
    }
    if (!waited) {
      for (size_t i = 0; i < set->pending.size(); ++i) {
        if (set->pending[i] == &q) {
          set->pending.Erase(i);
          break;
        }
      }
      return Err(waited.error());
    }
    seen = set->version.load(std::memory_order_acquire);
  }
}

SyscallResult SysSemop(Thread& self, int semid, UserInPtr<SemBuf> sops, uint32_t nsops) {
  return DoSemop(self, semid, sops, nsops, std::nullopt);
}

SyscallResult SysSemtimedop(Thread& self, int semid, UserInPtr<SemBuf> sops, uint32_t nsops,
                            UserInPtr<KernelTimespec> timeout) {
  OSTD_TRY_ASSIGN(std::optional<uint64_t> deadline, RelativeDeadline(timeout));
  return DoSemop(self, semid, sops, nsops, deadline);
}

// semctl(semid, semnum, cmd, arg): `arg` (union semun) is a value (SETVAL),
// an array of values (GETALL, SETALL) or a struct semid64_ds (IPC_STAT,
// IPC_SET), by `cmd`.
// The semid64_ds of `set` (IPC_STAT, SEM_STAT). Under table_lock.
SemidDs StatLocked(const SemSet& set) ABSL_EXCLUSIVE_LOCKS_REQUIRED(table_lock) {
  SemidDs ds{};
  ds.perm = Ipc64Perm{.key = set.key,
                      .uid = set.uid,
                      .gid = set.gid,
                      .cuid = set.cuid,
                      .cgid = set.cgid,
                      .mode = set.mode,
                      .seq = static_cast<uint16_t>(set.id / kSeqMultiplier),
                      .pad2 = 0,
                      .pad3 = 0,
                      .unused1 = 0,
                      .unused2 = 0};
  ds.otime = set.otime;
  ds.ctime = set.ctime;
  ds.nsems = set.vals.size();
  return ds;
}

// semctl's commands that take no set id: IPC_INFO and SEM_INFO (the limits,
// and for SEM_INFO how many sets and semaphores exist; the highest slot in
// use is the result) and SEM_STAT/SEM_STAT_ANY (a slot index in, the set's id
// out; SEM_STAT needs read permission). As Linux's semctl_info/semctl_stat.
SyscallResult SemctlByIndex(const Credentials& c, int index, int cmd, uint64_t arg) {
  if (cmd == kIpcInfo || cmd == kSemInfo) {
    constexpr int32_t kSemMns = sem_abi::kSemMni * sem_abi::kSemMsl;  // SEMMAP, SEMMNU too
    SemInfo info{.semmap = kSemMns,
                 .semmni = sem_abi::kSemMni,
                 .semmns = kSemMns,
                 .semmnu = kSemMns,
                 .semmsl = sem_abi::kSemMsl,
                 .semopm = static_cast<int32_t>(sem_abi::kSemOpm),
                 .semume = static_cast<int32_t>(sem_abi::kSemOpm),
                 .semusz = 20,  // SEMUSZ
                 .semvmx = sem_abi::kSemVmx,
                 .semaem = sem_abi::kSemVmx};
    uint64_t hi = 0;
    {
      ostd::SpinLockGuard guard(table_lock);
      if (cmd == kSemInfo) {
        info.semusz = 0;
        info.semaem = 0;
        sets.ForEach([&](const ostd::RefPtr<SemSet>& set) {
          ++info.semusz;
          info.semaem += static_cast<int32_t>(set->vals.size());
        });
      }
      hi = sets.HighestIndex();
    }
    OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<SemInfo>(arg), info));
    return hi;
  }
  SemidDs ds{};
  uint64_t id = 0;
  {
    ostd::SpinLockGuard guard(table_lock);
    OSTD_TRY_ASSIGN(ostd::RefPtr<SemSet> set, sets.AtIndex(index));
    if (cmd == kSemStat && !Allowed(*set, c, 4)) return Err(Errno::kEACCES);
    ds = StatLocked(*set);
    id = static_cast<uint64_t>(set->id);
  }
  OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<SemidDs>(arg), ds));
  return id;
}

SyscallResult SysSemctl(Thread& self, int id, int semnum, int cmd_arg, uint64_t arg) {
  int64_t num = semnum;
  int cmd = cmd_arg & ~kIpc64;
  const Credentials& c = self.process().creds();
  if (cmd == kIpcInfo || cmd == kSemInfo || cmd == kSemStat || cmd == kSemStatAny) {
    return SemctlByIndex(c, id, cmd, arg);
  }
  OSTD_TRY_ASSIGN(ostd::RefPtr<SemSet> set, FindSet(id));
  auto checked_num = [&]() -> ostd::Result<size_t> {
    if (num < 0 || num >= static_cast<int64_t>(set->vals.size())) return Err(Errno::kEINVAL);
    return static_cast<size_t>(num);
  };
  switch (cmd) {
    case kIpcRmid: {
      ostd::SpinLockGuard guard(table_lock);
      if (set->removed) return Err(Errno::kEINVAL);
      if (!c.Capable(Cap::kSysAdmin) && c.euid != set->uid && c.euid != set->cuid) {
        return Err(Errno::kEPERM);
      }
      RemoveLocked(*set);  // drops the table's reference (`set` still holds one)
    }
      set->Changed();
      return 0;
    case kGetPid: {
      OSTD_TRY_ASSIGN(size_t i, checked_num());
      int last = 0;
      {
        ostd::SpinLockGuard guard(table_lock);
        if (!Allowed(*set, c, 4)) return Err(Errno::kEACCES);
        last = set->last_pid[i];
      }
      // As the caller's pid namespace numbers it (taken after table_lock).
      return static_cast<uint64_t>(PidFor(self.process(), last));
    }
    case kGetVal:
    case kGetNcnt:
    case kGetZcnt: {
      OSTD_TRY_ASSIGN(size_t i, checked_num());
      ostd::SpinLockGuard guard(table_lock);
      if (!Allowed(*set, c, 4)) return Err(Errno::kEACCES);
      if (cmd == kGetVal) return set->vals[i];
      // Each waiting semop counts once, at the operation it waits on now.
      uint64_t n = 0;
      for (const Pending* q : set->pending) {
        if (q->ops[q->blocked.blocked_at].sem_num == i &&
            q->blocked.waits_for_zero == (cmd == kGetZcnt)) {
          ++n;
        }
      }
      return n;
    }
    case kSetVal: {
      OSTD_TRY_ASSIGN(size_t i, checked_num());
      int32_t value = static_cast<int32_t>(arg);
      if (value < 0 || value > sem_abi::kSemVmx) return Err(Errno::kERANGE);
      {
        ostd::SpinLockGuard guard(table_lock);
        if (!Allowed(*set, c, 2)) return Err(Errno::kEACCES);
        set->vals[i] = static_cast<uint16_t>(value);
        set->last_pid[i] = self.process().pid();
        set->ctime = sysv::NowSeconds();
        ForgetUndosLocked(set->id, static_cast<uint16_t>(i));
        CompletePendingLocked(*set);
      }
      set->Changed();
      return 0;
    }
    case kGetAll:
    case kSetAll: {
      ostd::Vec<uint16_t> copy;
      OSTD_TRY(copy.Resize(set->vals.size()));
      if (cmd == kGetAll) {
        {
          ostd::SpinLockGuard guard(table_lock);
          if (!Allowed(*set, c, 4)) return Err(Errno::kEACCES);
          for (size_t i = 0; i < copy.size(); ++i) copy[i] = set->vals[i];
        }
        OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                        ostd::vm::UserWriter(UserOutPtr<uint16_t>(arg), copy.size()));
        for (uint16_t v : copy) OSTD_TRY(w.WriteVal(v));
        return 0;
      }
      {
        OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                        ostd::vm::UserReader(UserInPtr<uint16_t>(arg), copy.size()));
        for (uint16_t& v : copy) {
          OSTD_TRY_ASSIGN(v, r.ReadVal<uint16_t>());
        }
      }
      for (uint16_t v : copy) {
        if (v > sem_abi::kSemVmx) return Err(Errno::kERANGE);
      }
      {
        ostd::SpinLockGuard guard(table_lock);
        if (!Allowed(*set, c, 2)) return Err(Errno::kEACCES);
        for (size_t i = 0; i < copy.size(); ++i) {
          set->vals[i] = copy[i];
          set->last_pid[i] = self.process().pid();
        }
        set->ctime = sysv::NowSeconds();
        ForgetUndosLocked(set->id, std::nullopt);
        CompletePendingLocked(*set);
      }
      set->Changed();
      return 0;
    }
    case kIpcStat: {
      SemidDs ds{};
      {
        ostd::SpinLockGuard guard(table_lock);
        if (!Allowed(*set, c, 4)) return Err(Errno::kEACCES);
        ds = StatLocked(*set);
      }
      OSTD_TRY(ostd::vm::CopyToUser(UserOutPtr<SemidDs>(arg), ds));
      return 0;
    }
    case kIpcSet: {
      OSTD_TRY_ASSIGN(SemidDs ds, ostd::vm::CopyFromUser(UserInPtr<SemidDs>(arg)));
      ostd::SpinLockGuard guard(table_lock);
      if (!c.Capable(Cap::kSysAdmin) && c.euid != set->uid && c.euid != set->cuid) {
        return Err(Errno::kEPERM);
      }
      set->uid = ds.perm.uid;
      set->gid = ds.perm.gid;
      set->mode = ds.perm.mode & 0777;
      set->ctime = sysv::NowSeconds();
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

void RegisterSysvSemSyscalls(SyscallTable& t) {
  t.Bind<sysno::semget, SysSemget>();
  t.Bind<sysno::semop, SysSemop>();
  t.Bind<sysno::semctl, SysSemctl>();
  t.Bind<sysno::semtimedop, SysSemtimedop>();
}

}  // namespace kernel
