// System information, limits, scheduling and randomness.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/process/clock.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/process.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/cpu.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/task/task.h"
#include "ostd/util/span_copy.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::vm::CopyFromUser;
using ostd::vm::CopyToUser;
using ostd::vm::UserPtr;

struct Utsname {
  std::array<std::array<char, 65>, 6> fields;
  OSTD_POD(Utsname, fields);
};

void Fill(std::array<char, 65>& field, std::string_view value) {
  field.fill('\0');
  (void)ostd::CopyChars(value, std::span<char>(field).first(64));
}

SyscallResult SysUname(Thread&, const SyscallArgs& a) {
  Utsname u{};
  Fill(u.fields[0], "Linux");  // what programs check to pick Linux behaviour
  Fill(u.fields[1], "keel");
  Fill(u.fields[2], "6.1.0-keel");
  Fill(u.fields[3], "#1 SMP Keel 0.1");
  Fill(u.fields[4], "x86_64");
  Fill(u.fields[5], "(none)");
  OSTD_TRY(CopyToUser(UserPtr<Utsname>(a[0]), u));
  return 0;
}

SyscallResult SysSysinfo(Thread&, const SyscallArgs& a) {
  struct Sysinfo {
    int64_t uptime;
    std::array<uint64_t, 3> loads;
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    std::array<char, 4> f;
    OSTD_POD(Sysinfo, uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap,
             procs, pad, pad2, totalhigh, freehigh, mem_unit, f);
  };
  static_assert(sizeof(Sysinfo) == 112);
  ostd::mm::FrameStats fs = ostd::mm::GetFrameStats();
  Sysinfo s{};
  s.uptime = static_cast<int64_t>(MonotonicNs() / 1'000'000'000);
  s.totalram = fs.total_frames * 4096;
  s.freeram = fs.free_frames * 4096;
  s.procs = static_cast<uint16_t>(ProcessCount());
  s.mem_unit = 1;
  OSTD_TRY(CopyToUser(UserPtr<Sysinfo>(a[0]), s));
  return 0;
}

SyscallResult SysGetrandom(Thread&, const SyscallArgs& a) {
  constexpr uint64_t kNonblock = 1, kRandom = 2, kInsecure = 4;
  if ((a[2] & ~(kNonblock | kRandom | kInsecure)) != 0 ||
      (a[2] & (kRandom | kInsecure)) == (kRandom | kInsecure)) {
    return Err(Errno::kEINVAL);
  }
  uint64_t len = std::min<uint64_t>(a[1], 33554431);  // Linux caps one call at 32 MiB - 1
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                  ostd::vm::UserWriter(UserPtr<uint8_t>(a[0]), len));
  uint64_t done = 0;
  std::array<uint8_t, 256> chunk;
  while (w.has_avail()) {
    glue::RandomBytes(chunk);
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(chunk);
    r.Limit(w.avail());
    ostd::vm::CopyResult c = r.ReadTo(w);
    done += c.copied;
    if (!c.ok()) return done > 0 ? SyscallResult(done) : Err(Errno::kEFAULT);
  }
  return done;
}

SyscallResult SysSchedYield(Thread&, const SyscallArgs&) {
  ostd::Yield();
  return 0;
}

// sched_*affinity name a thread by tid (0: the caller). ESRCH if none; true
// if it is the caller.
ostd::Result<bool> CheckTid(Thread& self, uint64_t tid) {
  int32_t id = static_cast<int32_t>(tid);
  if (id == 0 || id == self.tid()) return true;
  ostd::SpinLockGuard guard(TreeLock());
  if (id < 0 || FindThreadLocked(id) == nullptr) return Err(Errno::kESRCH);
  return false;
}

uint64_t OnlineMask() {
  uint32_t n = ostd::cpu::Count();
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

// The caller's own mask is its task's; other threads' masks are not tracked
// here (reported as every online CPU).
SyscallResult SysSchedGetaffinity(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(bool own, CheckTid(self, a[0]));
  uint64_t size = a[1];
  // The kernel's mask is one word: user space must offer at least that and
  // a multiple of the word size.
  if (size < sizeof(uint64_t) || size % sizeof(uint64_t) != 0) return Err(Errno::kEINVAL);
  uint64_t mask = OnlineMask();
  if (own) mask &= ostd::CurrentTask()->affinity().bits();
  OSTD_TRY(CopyToUser(UserPtr<uint64_t>(a[2]), mask));
  return sizeof(uint64_t);
}

// The caller moves to an allowed CPU before this returns. Setting another
// thread's mask is accepted and has no effect (an expected divergence: Keel's
// scheduler lets a task change only its own affinity).
SyscallResult SysSchedSetaffinity(Thread& self, const SyscallArgs& a) {
  OSTD_TRY_ASSIGN(bool own, CheckTid(self, a[0]));
  if (a[1] < sizeof(uint64_t)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t mask, CopyFromUser(UserPtr<uint64_t>(a[2])));
  mask &= OnlineMask();
  if (mask == 0) return Err(Errno::kEINVAL);
  if (own) OSTD_TRY(ostd::SetCurrentTaskAffinity(ostd::CpuSet::FromBits(mask)));
  return 0;
}

SyscallResult SysGetcpu(Thread&, const SyscallArgs& a) {
  uint32_t cpu = ostd::cpu::CurrentId();
  if (a[0] != 0) OSTD_TRY(CopyToUser(UserPtr<uint32_t>(a[0]), cpu));
  if (a[1] != 0) OSTD_TRY(CopyToUser(UserPtr<uint32_t>(a[1]), uint32_t{0}));
  return 0;
}

struct Rlimit64 {
  uint64_t cur;
  uint64_t max;
  OSTD_POD(Rlimit64, cur, max);
};

SyscallResult SysPrlimit64(Thread& self, const SyscallArgs& a) {
  int pid = static_cast<int32_t>(a[0]);
  uint64_t resource = a[1];
  if (resource >= Process::kRlimitCount) return Err(Errno::kEINVAL);
  if (pid != 0 && pid != self.process().pid()) {
    ostd::SpinLockGuard guard(TreeLock());
    if (FindProcessLocked(pid) == nullptr) return Err(Errno::kESRCH);
    return Err(Errno::kEPERM);  // other processes' limits are not supported
  }
  Process::Rlimit& lim = self.process().rlimits[resource];
  Rlimit64 old{lim.cur, lim.max};
  if (a[2] != 0) {
    OSTD_TRY_ASSIGN(Rlimit64 next, CopyFromUser(UserPtr<Rlimit64>(a[2])));
    if (next.cur > next.max) return Err(Errno::kEINVAL);
    if (next.max > lim.max && !self.process().creds().IsRoot()) return Err(Errno::kEPERM);
    if (resource == 7 && next.max > 1048576) return Err(Errno::kEPERM);  // nr_open
    lim = Process::Rlimit{next.cur, next.max};
    if (resource == 7) {  // RLIMIT_NOFILE
      self.process().files().SetLimit(
          static_cast<int>(next.cur > fs::kMaxFds ? fs::kMaxFds : next.cur));
    }
  }
  if (a[3] != 0) OSTD_TRY(CopyToUser(UserPtr<Rlimit64>(a[3]), old));
  return 0;
}

SyscallResult SysGetrlimit(Thread& self, const SyscallArgs& a) {
  return SysPrlimit64(self, SyscallArgs{{0, a[0], 0, a[1], 0, 0}});
}

SyscallResult SysSetrlimit(Thread& self, const SyscallArgs& a) {
  return SysPrlimit64(self, SyscallArgs{{0, a[0], a[1], 0, 0, 0}});
}

// getrusage: RUSAGE_SELF (0), RUSAGE_CHILDREN (-1, reaped children) and
// RUSAGE_THREAD (1); CPU times only.
SyscallResult SysGetrusage(Thread& self, const SyscallArgs& a) {
  constexpr int kSelf = 0, kChildren = -1, kThread = 1;
  int who = static_cast<int32_t>(a[0]);
  CpuTimes times;
  if (who == kThread) {
    times = self.cpu_times();
  } else if (who == kSelf || who == kChildren) {
    ostd::SpinLockGuard guard(TreeLock());
    times =
        who == kSelf ? self.process().SelfTimesLocked() : self.process().children_times_locked();
  } else {
    return Err(Errno::kEINVAL);
  }
  OSTD_TRY(CopyToUser(UserPtr<Rusage>(a[1]), RusageOf(times)));
  return 0;
}

SyscallResult SysPersonality(Thread&, const SyscallArgs& a) {
  if (a[0] != 0 && a[0] != 0xffffffff) return Err(Errno::kEINVAL);
  return 0;  // PER_LINUX
}

SyscallResult SysPrctl(Thread& self, const SyscallArgs& a) {
  constexpr uint64_t kSetName = 15, kGetName = 16, kSetPdeathsig = 1, kGetDumpable = 3,
                     kSetDumpable = 4;
  switch (a[0]) {
    case kSetName: {
      std::array<char, 16> name{};
      OSTD_TRY_ASSIGN(size_t n, ostd::vm::CopyStringFromUser(UserPtr<const char>(a[1]),
                                                             std::span<char>(name).first(15)));
      self.process().set_name(std::string_view(std::span<const char>(name).first(n)));
      return 0;
    }
    case kGetName: {
      std::array<char, 16> name{};
      std::string_view cur = self.process().name();
      (void)ostd::CopyChars(cur, name);
      OSTD_TRY(CopyToUser(UserPtr<std::array<char, 16>>(a[1]), name));
      return 0;
    }
    case kSetPdeathsig:
      if (a[1] > 64) return Err(Errno::kEINVAL);
      return 0;
    case kGetDumpable:
      return 1;
    case kSetDumpable:
      return a[1] <= 1 ? SyscallResult(0) : Err(Errno::kEINVAL);
    default:
      return Err(Errno::kEINVAL);
  }
}

SyscallResult SysGetpriority(Thread&, const SyscallArgs& a) {
  if (a[0] > 2) return Err(Errno::kEINVAL);
  return 20;  // nice 0, in the syscall's 40 - nice encoding
}

SyscallResult SysSetpriority(Thread& self, const SyscallArgs& a) {
  if (a[0] > 2) return Err(Errno::kEINVAL);
  if (static_cast<int32_t>(a[2]) < 0 && !self.process().creds().IsRoot()) {
    return Err(Errno::kEACCES);
  }
  return 0;
}

SyscallResult SysCapget(Thread& self, const SyscallArgs& a) {
  struct Header {
    uint32_t version;
    int32_t pid;
    OSTD_POD(Header, version, pid);
  };
  struct Data {
    uint32_t effective, permitted, inheritable;
    OSTD_POD(Data, effective, permitted, inheritable);
  };
  constexpr uint32_t kV3 = 0x20080522;
  OSTD_TRY_ASSIGN(Header h, CopyFromUser(UserPtr<Header>(a[0])));
  if (h.version != kV3) {
    OSTD_TRY(CopyToUser(UserPtr<Header>(a[0]), Header{kV3, h.pid}));
    return a[1] == 0 ? SyscallResult(0) : Err(Errno::kEINVAL);
  }
  if (a[1] == 0) return 0;
  uint64_t caps = self.process().creds().cap_effective;
  std::array<Data, 2> d = {
      Data{static_cast<uint32_t>(caps), static_cast<uint32_t>(caps), 0},
      Data{static_cast<uint32_t>(caps >> 32), static_cast<uint32_t>(caps >> 32), 0}};
  OSTD_TRY(CopyToUser(UserPtr<std::array<Data, 2>>(a[1]), d));
  return 0;
}

}  // namespace

void RegisterInfoSyscalls(SyscallTable& t) {
  t.BindUntyped<sysno::uname, SysUname>();
  t.BindUntyped<sysno::sysinfo, SysSysinfo>();
  t.BindUntyped<sysno::getrandom, SysGetrandom>();
  t.BindUntyped<sysno::sched_yield, SysSchedYield>();
  t.BindUntyped<sysno::sched_getaffinity, SysSchedGetaffinity>();
  t.BindUntyped<sysno::sched_setaffinity, SysSchedSetaffinity>();
  t.BindUntyped<sysno::getcpu, SysGetcpu>();
  t.BindUntyped<sysno::prlimit64, SysPrlimit64>();
  t.BindUntyped<sysno::getrlimit, SysGetrlimit>();
  t.BindUntyped<sysno::setrlimit, SysSetrlimit>();
  t.BindUntyped<sysno::getrusage, SysGetrusage>();
  t.BindUntyped<sysno::personality, SysPersonality>();
  t.BindUntyped<sysno::prctl, SysPrctl>();
  t.BindUntyped<sysno::getpriority, SysGetpriority>();
  t.BindUntyped<sysno::setpriority, SysSetpriority>();
  t.BindUntyped<sysno::capget, SysCapget>();
}

}  // namespace kernel
