// Scheduling attributes of threads, as Linux 6.1 keeps them per task
// (SchedAttrs, kernel/process/process.h): policies and real-time priorities
// (sched_setscheduler, sched_setparam, sched_setattr and their getters,
// sched_get_priority_max/min, sched_rr_get_interval), nice values
// (getpriority, setpriority) and I/O priorities (ioprio_get, ioprio_set),
// with Linux's checks in Linux's order.
//
// Keel's scheduler honours the nice value: ostd's scheduler charges each
// task virtual runtime weighted by it, as Linux's CFS, so a nice-19 thread
// gets about 1/68 of a CPU a nice-0 one contends for
// (Thread::ApplySched). It has no real-time class: SCHED_FIFO and SCHED_RR
// threads weigh as nice -20 (the largest share, not strict priority),
// SCHED_IDLE as nice 19 (Linux weighs it 5 times lower still), SCHED_BATCH as
// SCHED_OTHER; I/O priorities order nothing (there is no block-I/O
// scheduler). SCHED_DEADLINE is validated as Linux does, but Keel admits no
// deadline task (EBUSY, Linux's answer when admission control finds no
// bandwidth).
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <span>

#include "kernel/process/process.h"
#include "kernel/syscalls/copy_struct.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/pod.h"
#include "ostd/sync.h"
#include "ostd/timer.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserInOutPtr;
using ostd::vm::UserInPtr;
using ostd::vm::UserOutPtr;

constexpr int kRlimitNice = 13;
constexpr int kRlimitRtprio = 14;

constexpr int kSchedDeadline = 6;
constexpr int kSchedResetOnFork = 0x40000000;
constexpr int kSetparamPolicy = -1;  // sched_setparam and SCHED_FLAG_KEEP_POLICY: keep it
constexpr uint32_t kMaxRtPrio = 100;
constexpr int kMinNice = -20, kMaxNice = 19;

constexpr uint64_t kFlagResetOnFork = 0x01;
constexpr uint64_t kFlagKeepPolicy = 0x08;
constexpr uint64_t kFlagKeepParams = 0x10;
constexpr uint64_t kFlagUtilClamp = 0x20 | 0x40;
constexpr uint64_t kFlagAll = 0x7f;
constexpr uint64_t kFlagSugov = 0x10000000;  // the kernel's own: EINVAL from user space

bool ValidPolicy(int policy) {
  return policy == SchedAttrs::kOther || policy == SchedAttrs::kFifo || policy == SchedAttrs::kRr ||
         policy == SchedAttrs::kBatch || policy == SchedAttrs::kIdle || policy == kSchedDeadline;
}
bool RtPolicy(int policy) { return policy == SchedAttrs::kFifo || policy == SchedAttrs::kRr; }
// CFS's own policies (SCHED_IDLE keeps its nice value but does not set it).
bool FairPolicy(int policy) { return policy == SchedAttrs::kOther || policy == SchedAttrs::kBatch; }

// The thread a scheduling call names: 0 is the caller, else a tid.
Thread* TargetLocked(Thread& self, int pid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  return pid == 0 ? &self : FindThreadInLocked(self.process().pid_ns(), pid);
}

// Linux's can_nice: RLIMIT_NICE (as 20 - nice) or CAP_SYS_NICE.
bool CanNice(const Credentials& me, const Thread& t, int nice) {
  return static_cast<uint64_t>(20 - nice) <= t.process().rlimits[kRlimitNice].cur ||
         me.Capable(Cap::kSysNice);
}

// check_same_owner: the caller's euid is the target's euid or real uid.
bool SameOwner(const Credentials& me, const Thread& t) {
  const Credentials& them = t.process().creds();
  return me.euid == them.euid || me.euid == them.uid;
}

// struct sched_attr (SCHED_ATTR_SIZE_VER1: with the utilization clamps).
struct SchedAttr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
  OSTD_POD(SchedAttr, size, policy, flags, nice, priority, runtime, deadline, period, util_min,
           util_max);
};
static_assert(sizeof(SchedAttr) == 56);
constexpr uint32_t kSchedAttrSizeVer0 = 48;
constexpr uint32_t kSchedAttrSizeVer1 = 56;
constexpr uint64_t kPageSize = 4096;

// What __sched_setscheduler gets.
struct SchedRequest {
  int policy = kSetparamPolicy;
  uint64_t flags = 0;
  uint32_t priority = 0;
  int nice = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
};

// __checkparam_dl with the default period bounds (100 us .. 2^22 us).
bool ValidDeadlineParams(const SchedRequest& r) {
  constexpr uint64_t kDlScale = 10, kPeriodMin = 100'000, kPeriodMax = (uint64_t{1} << 22) * 1000;
  if (r.deadline == 0 || r.runtime < (uint64_t{1} << kDlScale)) return false;
  if (((r.deadline | r.period) >> 63) != 0) return false;
  uint64_t period = r.period == 0 ? r.deadline : r.period;
  if (period < r.deadline || r.deadline < r.runtime) return false;
  return period >= kPeriodMin && period <= kPeriodMax;
}

// Linux's __sched_setscheduler for a user request, its checks in its order.
ostd::Status SetSchedulerLocked(const Credentials& me, Thread& p, const SchedRequest& r)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  SchedAttrs& cur = p.sched;
  int policy = r.policy;
  bool reset_on_fork = false;
  if (policy < 0) {
    reset_on_fork = cur.reset_on_fork;
    policy = cur.policy;
  } else {
    reset_on_fork = (r.flags & kFlagResetOnFork) != 0;
    if (!ValidPolicy(policy)) return Err(Errno::kEINVAL);
  }
  if ((r.flags & ~(kFlagAll | kFlagSugov)) != 0) return Err(Errno::kEINVAL);
  if (r.priority > kMaxRtPrio - 1) return Err(Errno::kEINVAL);
  if ((policy == kSchedDeadline && (r.flags & kFlagSugov) == 0 && !ValidDeadlineParams(r)) ||
      RtPolicy(policy) != (r.priority != 0)) {
    return Err(Errno::kEINVAL);
  }
  if (!me.Capable(Cap::kSysNice)) {
    if (FairPolicy(policy) && r.nice < cur.nice && !CanNice(me, p, r.nice)) {
      return Err(Errno::kEPERM);
    }
    if (RtPolicy(policy)) {
      uint64_t rlim = p.process().rlimits[kRlimitRtprio].cur;
      if (policy != cur.policy && rlim == 0) return Err(Errno::kEPERM);
      if (r.priority > static_cast<uint32_t>(cur.rt_priority) && r.priority > rlim) {
        return Err(Errno::kEPERM);
      }
    }
    if (policy == kSchedDeadline) return Err(Errno::kEPERM);
    // SCHED_IDLE counts as nice 20: leaving it needs RLIMIT_NICE.
    if (cur.policy == SchedAttrs::kIdle && policy != SchedAttrs::kIdle &&
        !CanNice(me, p, cur.nice)) {
      return Err(Errno::kEPERM);
    }
    if (!SameOwner(me, p)) return Err(Errno::kEPERM);
    if (cur.reset_on_fork && !reset_on_fork) return Err(Errno::kEPERM);
  }
  if ((r.flags & kFlagSugov) != 0) return Err(Errno::kEINVAL);
  // uclamp_validate of a kernel without CONFIG_UCLAMP_TASK (Debian's 6.1).
  if ((r.flags & kFlagUtilClamp) != 0) return Err(Errno::kEOPNOTSUPP);
  bool change = policy != cur.policy || (FairPolicy(policy) && r.nice != cur.nice) ||
                (RtPolicy(policy) && static_cast<int32_t>(r.priority) != cur.rt_priority) ||
                policy == kSchedDeadline;
  if (change && policy == kSchedDeadline) return Err(Errno::kEBUSY);  // see the file comment
  cur.reset_on_fork = reset_on_fork;
  if (!change || (r.flags & kFlagKeepParams) != 0) return {};
  cur.policy = policy;
  if (FairPolicy(policy)) cur.nice = r.nice;
  cur.rt_priority = static_cast<int32_t>(r.priority);
  p.ApplySched();
  return {};
}

// sched_setscheduler(pid, policy, param) and sched_setparam(pid, param)
// (policy kSetparamPolicy): Linux's do_sched_setscheduler.
SyscallResult DoSetScheduler(Thread& self, int pid, int policy, UserInPtr<int32_t> param) {
  if (param.is_null() || pid < 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(int32_t priority, CopyFromUser(param));
  SchedRequest r{.policy = policy, .priority = static_cast<uint32_t>(priority)};
  // The legacy SCHED_RESET_ON_FORK bit of the policy.
  if (policy != kSetparamPolicy && (policy & kSchedResetOnFork) != 0) {
    r.flags |= kFlagResetOnFork;
    r.policy = policy & ~kSchedResetOnFork;
  }
  Credentials me = self.process().creds();
  ostd::SpinLockGuard guard(TreeLock());
  Thread* p = TargetLocked(self, pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  r.nice = p->sched.nice;
  OSTD_TRY(SetSchedulerLocked(me, *p, r));
  return 0;
}

SyscallResult SysSchedSetscheduler(Thread& self, int pid, int policy, UserInPtr<int32_t> param) {
  if (policy < 0) return Err(Errno::kEINVAL);
  return DoSetScheduler(self, pid, policy, param);
}

SyscallResult SysSchedSetparam(Thread& self, int pid, UserInPtr<int32_t> param) {
  return DoSetScheduler(self, pid, kSetparamPolicy, param);
}

// The attributes of thread `pid` (0: the caller). EINVAL for pid < 0, ESRCH.
ostd::Result<SchedAttrs> GetAttrs(Thread& self, int pid) {
  if (pid < 0) return Err(Errno::kEINVAL);
  ostd::SpinLockGuard guard(TreeLock());
  Thread* p = TargetLocked(self, pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  return p->sched;
}

SyscallResult SysSchedGetscheduler(Thread& self, int pid) {
  OSTD_TRY_ASSIGN(SchedAttrs a, GetAttrs(self, pid));
  return static_cast<uint32_t>(a.policy | (a.reset_on_fork ? kSchedResetOnFork : 0));
}

SyscallResult SysSchedGetparam(Thread& self, int pid, UserOutPtr<int32_t> param) {
  if (param.is_null()) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SchedAttrs a, GetAttrs(self, pid));
  OSTD_TRY(CopyToUser(param, int32_t{a.realtime() ? a.rt_priority : 0}));
  return 0;
}

SyscallResult SysSchedGetPriorityMax(Thread&, int policy) {
  if (RtPolicy(policy)) return kMaxRtPrio - 1;
  return ValidPolicy(policy) ? SyscallResult(0) : Err(Errno::kEINVAL);
}

SyscallResult SysSchedGetPriorityMin(Thread&, int policy) {
  if (RtPolicy(policy)) return 1;
  return ValidPolicy(policy) ? SyscallResult(0) : Err(Errno::kEINVAL);
}

struct Timespec {
  int64_t sec, nsec;
  OSTD_POD(Timespec, sec, nsec);
};

// sched_rr_get_interval: Linux's RR_TIMESLICE (100 ms) for SCHED_RR, 0 for
// SCHED_FIFO, and for the fair policies the slice the scheduler gives the
// task: here ostd's round-robin slice (two ticks: 8 ms at 250 Hz; Linux's
// CFS slice depends on the load, 12 ms for a lone task on two CPUs).
SyscallResult SysSchedRrGetInterval(Thread& self, int pid, UserOutPtr<Timespec> interval) {
  OSTD_TRY_ASSIGN(SchedAttrs a, GetAttrs(self, pid));
  constexpr int64_t kRrSliceNs = 100'000'000;
  constexpr int64_t kFairSliceNs = 2 * 1'000'000'000 / static_cast<int64_t>(ostd::timer::kTickHz);
  int64_t ns = a.policy == SchedAttrs::kRr     ? kRrSliceNs
               : a.policy == SchedAttrs::kFifo ? 0
                                               : kFairSliceNs;
  OSTD_TRY(CopyToUser(interval, Timespec{ns / 1'000'000'000, ns % 1'000'000'000}));
  return 0;
}

// sched_copy_attr: the size field picks how much is read (0 means
// SCHED_ATTR_SIZE_VER0); a size below VER0 or above a page, or nonzero bytes
// past the structure Keel knows, is E2BIG with Keel's size written back.
ostd::Result<SchedAttr> ReadSchedAttr(UserInOutPtr<SchedAttr> uattr) {
  OSTD_TRY_ASSIGN(uint32_t size, CopyFromUser(uattr.Cast<uint32_t>()));
  if (size == 0) size = kSchedAttrSizeVer0;
  ostd::Result<SchedAttr> attr = Err(Errno::kE2BIG);
  if (size >= kSchedAttrSizeVer0 && size <= kPageSize) {
    attr = CopyStructFromUser<SchedAttr>(uattr, size);
  }
  if (!attr && attr.error() == Errno::kE2BIG) {
    (void)CopyToUser(uattr.Cast<uint32_t>(), kSchedAttrSizeVer1);
  }
  OSTD_TRY_ASSIGN(SchedAttr a, std::move(attr));
  if ((a.flags & kFlagUtilClamp) != 0 && size < kSchedAttrSizeVer1) return Err(Errno::kEINVAL);
  a.nice = std::clamp(a.nice, kMinNice, kMaxNice);
  return a;
}

SyscallResult SysSchedSetattr(Thread& self, int pid, UserInOutPtr<SchedAttr> uattr,
                              uint32_t flags) {
  if (uattr.is_null() || pid < 0 || flags != 0) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(SchedAttr a, ReadSchedAttr(uattr));
  if (static_cast<int32_t>(a.policy) < 0) return Err(Errno::kEINVAL);
  SchedRequest r{.policy = static_cast<int>(a.policy),
                 .flags = a.flags,
                 .priority = a.priority,
                 .nice = a.nice,
                 .runtime = a.runtime,
                 .deadline = a.deadline,
                 .period = a.period};
  if ((a.flags & kFlagKeepPolicy) != 0) r.policy = kSetparamPolicy;
  Credentials me = self.process().creds();
  ostd::SpinLockGuard guard(TreeLock());
  Thread* p = TargetLocked(self, pid);
  if (p == nullptr) return Err(Errno::kESRCH);
  OSTD_TRY(SetSchedulerLocked(me, *p, r));
  return 0;
}

// sched_getattr(pid, attr, size, flags): as much of the structure as `size`
// holds (at least VER0, at most a page), its size field saying how much that
// is. The utilization clamps read 0 (no CONFIG_UCLAMP_TASK, as Debian's 6.1).
SyscallResult SysSchedGetattr(Thread& self, int pid, UserOutPtr<SchedAttr> uattr, uint32_t usize,
                              uint32_t flags) {
  if (uattr.is_null() || pid < 0 || usize > kPageSize || usize < kSchedAttrSizeVer0 || flags != 0) {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY_ASSIGN(SchedAttrs s, GetAttrs(self, pid));
  SchedAttr a{};
  a.policy = static_cast<uint32_t>(s.policy);
  a.flags = s.reset_on_fork ? kFlagResetOnFork : 0;
  if (s.realtime()) {
    a.priority = static_cast<uint32_t>(s.rt_priority);
  } else {
    a.nice = s.nice;
  }
  a.size = std::min<uint32_t>(usize, sizeof(SchedAttr));
  OSTD_TRY(ostd::vm::UserWriter(uattr.Cast<uint8_t>(), usize));  // access_ok over all of it
  auto bytes = std::bit_cast<std::array<uint8_t, sizeof(SchedAttr)>>(a);
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(uattr.Cast<uint8_t>(), a.size));
  auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(
      std::span<const uint8_t>(bytes).first(a.size));
  if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
  return 0;
}

// --- Nice values ---

constexpr int kPrioProcess = 0, kPrioPgrp = 1, kPrioUser = 2;

// Calls fn(Thread&) for each thread `which`/`who` names (PRIO_PROCESS,
// PRIO_PGRP, PRIO_USER; IOPRIO_WHO_* are these plus one): a thread (0: the
// caller), the threads of a process group (0: the caller's), or those of a
// real uid (who 0 stands for `zero_uid`). Returns whether any was found.
template <typename Fn>
bool ForEachTargetLocked(Thread& self, int which, int who, uint32_t zero_uid, Fn fn)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(TreeLock()) {
  bool found = false;
  if (which == kPrioProcess) {
    Thread* t = TargetLocked(self, who);
    if (t != nullptr) {
      found = true;
      fn(*t);
    }
    return found;
  }
  int pgid = who == 0 ? self.process().pgid() : GlobalPidLocked(self.process().pid_ns(), who);
  uint32_t uid = who == 0 ? zero_uid : static_cast<uint32_t>(who);
  for (const ostd::Box<Process>& q : process_internal::AllProcesses()) {
    if (which == kPrioPgrp ? q->pgid() != pgid : q->creds().uid != uid) continue;
    q->ForEachThreadLocked([&](Thread& t) {
      found = true;
      fn(t);
    });
  }
  return found;
}

SyscallResult SysGetpriority(Thread& self, int which, int who) {
  if (which < kPrioProcess || which > kPrioUser) return Err(Errno::kEINVAL);
  int best = -1;
  ostd::SpinLockGuard guard(TreeLock());
  ForEachTargetLocked(self, which, who, self.process().creds().uid,
                      [&](Thread& t) { best = std::max(best, 20 - t.sched.nice); });
  if (best < 0) return Err(Errno::kESRCH);
  return best;
}

// setpriority: the nice value is clamped to -20..19; each thread needs the
// same owner (real or effective uid = the caller's euid) or CAP_SYS_NICE
// (EPERM), and lowering it RLIMIT_NICE or CAP_SYS_NICE (EACCES). As on
// Linux, the threads that pass are changed and the last refusal is reported.
SyscallResult SysSetpriority(Thread& self, int which, int who, int niceval) {
  if (which < kPrioProcess || which > kPrioUser) return Err(Errno::kEINVAL);
  int nice = std::clamp(niceval, kMinNice, kMaxNice);
  Credentials me = self.process().creds();
  ostd::Status result = Err(Errno::kESRCH);
  ostd::SpinLockGuard guard(TreeLock());
  ForEachTargetLocked(self, which, who, me.uid, [&](Thread& t) {
    const Credentials& them = t.process().creds();
    if (them.uid != me.euid && them.euid != me.euid && !me.Capable(Cap::kSysNice)) {
      result = Err(Errno::kEPERM);
    } else if (nice < t.sched.nice && !CanNice(me, t, nice)) {
      result = Err(Errno::kEACCES);
    } else {
      if (!result && result.error() == Errno::kESRCH) result = {};
      t.sched.nice = nice;
      t.ApplySched();
    }
  });
  OSTD_TRY(result);
  return 0;
}

// --- I/O priorities ---

constexpr int kIoprioClassNone = 0, kIoprioClassRt = 1, kIoprioClassBe = 2, kIoprioClassIdle = 3;
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioNrLevels = 8;
constexpr int kIoprioWhoProcess = 1;  // then PGRP (2) and USER (3)

constexpr int IoprioClass(int ioprio) { return (ioprio >> kIoprioClassShift) & 7; }
constexpr int IoprioData(int ioprio) { return ioprio & ((1 << kIoprioClassShift) - 1); }
constexpr int IoprioValue(int cls, int data) { return (cls << kIoprioClassShift) | data; }

// What a thread's I/O is scheduled with: the priority set, or without one
// the class of its policy (RT, IDLE or BE) at the level of its nice value.
int EffectiveIoprio(const SchedAttrs& a) {
  if (IoprioClass(a.ioprio) != kIoprioClassNone) return a.ioprio;
  int cls = a.policy == SchedAttrs::kIdle ? kIoprioClassIdle
            : a.realtime()                ? kIoprioClassRt
                                          : kIoprioClassBe;
  return IoprioValue(cls, (a.nice + 20) / 5);
}

// ioprio_get: for one thread the value as set (IOPRIO_CLASS_NONE, 0 if
// none); for a group or a user the best (lowest) effective value.
SyscallResult SysIoprioGet(Thread& self, int which, int who) {
  if (which < kIoprioWhoProcess || which > kIoprioWhoProcess + kPrioUser) {
    return Err(Errno::kEINVAL);
  }
  which -= kIoprioWhoProcess;
  int best = -1;
  ostd::SpinLockGuard guard(TreeLock());
  ForEachTargetLocked(self, which, who, self.process().creds().uid, [&](Thread& t) {
    int v = which == kPrioProcess ? t.sched.ioprio : EffectiveIoprio(t.sched);
    best = best < 0 ? v : std::min(best, v);
  });
  if (best < 0) return Err(Errno::kESRCH);
  return best;
}

// ioprio_set: the value is checked first (ioprio_check_cap: RT needs
// CAP_SYS_ADMIN or CAP_SYS_NICE, NONE takes level 0 only, classes 4..7 are
// EINVAL). The level is the low three bits of the data, the bits above it
// I/O priority hints, as in Linux since 6.5 and in Debian's 6.1 kernel
// (6.1.0-57, which has that change): so any RT or BE data passes. Then each
// thread needs a real uid equal to the caller's real or effective uid, or
// CAP_SYS_NICE (EPERM, which stops the walk); the value is kept as the
// 16 bits Linux's io_context holds. IOPRIO_WHO_USER with who 0 names uid 0,
// as Linux does.
SyscallResult SysIoprioSet(Thread& self, int which, int who, int ioprio) {
  Credentials me = self.process().creds();
  int level = IoprioData(ioprio) & (kIoprioNrLevels - 1);
  switch (IoprioClass(ioprio)) {
    case kIoprioClassRt:
      if (!me.Capable(Cap::kSysAdmin) && !me.Capable(Cap::kSysNice)) return Err(Errno::kEPERM);
      break;
    case kIoprioClassBe:
    case kIoprioClassIdle:
      break;
    case kIoprioClassNone:
      if (level != 0) return Err(Errno::kEINVAL);
      break;
    default:
      return Err(Errno::kEINVAL);
  }
  if (which < kIoprioWhoProcess || which > kIoprioWhoProcess + kPrioUser) {
    return Err(Errno::kEINVAL);
  }
  which -= kIoprioWhoProcess;
  ostd::Status result = Err(Errno::kESRCH);
  ostd::SpinLockGuard guard(TreeLock());
  ForEachTargetLocked(self, which, who, 0, [&](Thread& t) {
    if (!result && result.error() == Errno::kEPERM) return;
    const Credentials& them = t.process().creds();
    if (them.uid != me.euid && them.uid != me.uid && !me.Capable(Cap::kSysNice)) {
      result = Err(Errno::kEPERM);
      return;
    }
    t.sched.ioprio = static_cast<uint16_t>(ioprio);
    result = {};
  });
  OSTD_TRY(result);
  return 0;
}

}  // namespace

void RegisterSchedSyscalls(SyscallTable& t) {
  t.Bind<sysno::sched_setparam, SysSchedSetparam>();
  t.Bind<sysno::sched_getparam, SysSchedGetparam>();
  t.Bind<sysno::sched_setscheduler, SysSchedSetscheduler>();
  t.Bind<sysno::sched_getscheduler, SysSchedGetscheduler>();
  t.Bind<sysno::sched_get_priority_max, SysSchedGetPriorityMax>();
  t.Bind<sysno::sched_get_priority_min, SysSchedGetPriorityMin>();
  t.Bind<sysno::sched_rr_get_interval, SysSchedRrGetInterval>();
  t.Bind<sysno::sched_setattr, SysSchedSetattr>();
  t.Bind<sysno::sched_getattr, SysSchedGetattr>();
  t.Bind<sysno::getpriority, SysGetpriority>();
  t.Bind<sysno::setpriority, SysSetpriority>();
  t.Bind<sysno::ioprio_get, SysIoprioGet>();
  t.Bind<sysno::ioprio_set, SysIoprioSet>();
}

}  // namespace kernel
