// System information, limits, CPU affinity and randomness (scheduling
// attributes: sched.cc).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/fd_table.h"
#include "kernel/process/clock.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/process.h"
#include "kernel/process/rseq.h"
#include "kernel/process/uts.h"
#include "kernel/syscalls/rusage.h"
#include "kernel/syscalls/syscall.h"
#include "ostd/cpu.h"
#include "ostd/log.h"
#include "ostd/mm/frame.h"
#include "ostd/pod.h"
#include "ostd/power.h"
#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/util/span_copy.h"
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

struct Utsname {
  std::array<std::array<char, 65>, 6> fields;
  OSTD_POD(Utsname, fields);
};

void Fill(std::array<char, 65>& field, std::string_view value) {
  field.fill('\0');
  (void)ostd::CopyChars(value, std::span<char>(field).first(64));
}

SyscallResult SysUname(Thread& self, UserOutPtr<Utsname> name) {
  ostd::RefPtr<UtsNamespace> ns = self.process().uts_ns();
  Utsname u{};
  Fill(u.fields[0], uts::kSysname);  // what programs check to pick Linux behaviour
  Fill(u.fields[2], uts::kRelease);
  Fill(u.fields[3], uts::kVersion);
  Fill(u.fields[4], "x86_64");
  u.fields[1] = ns->HostName();
  u.fields[5] = ns->DomainName();
  OSTD_TRY(CopyToUser(name, u));
  return 0;
}

// sethostname/setdomainname(name, len): CAP_SYS_ADMIN (EPERM), 0 <= len <=
// 64 (EINVAL), the bytes copied as they are (no NUL needed; EFAULT).
SyscallResult SetUtsName(Thread& self, UserInPtr<void> name, int len, bool host) {
  if (!self.process().creds().Capable(Cap::kSysAdmin)) return Err(Errno::kEPERM);
  if (len < 0 || static_cast<size_t>(len) > uts::kNameMax) return Err(Errno::kEINVAL);
  std::array<uint8_t, uts::kNameMax> bytes{};
  std::span<uint8_t> want = std::span<uint8_t>(bytes).first(static_cast<size_t>(len));
  if (!want.empty()) {
    OSTD_TRY_ASSIGN(ostd::vm::VmReader<ostd::vm::Fallible> r,
                    ostd::vm::UserReader(name, want.size()));
    auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(want);
    if (!r.ReadTo(w).ok()) return Err(Errno::kEFAULT);
  }
  std::array<char, uts::kNameMax> value{};
  for (size_t i = 0; i < want.size(); ++i) value[i] = static_cast<char>(want[i]);
  std::span<const char> name_bytes = std::span<const char>(value).first(want.size());
  ostd::RefPtr<UtsNamespace> ns = self.process().uts_ns();
  if (host) {
    ns->SetHostName(name_bytes);
  } else {
    ns->SetDomainName(name_bytes);
  }
  return 0;
}

SyscallResult SysSethostname(Thread& self, UserInPtr<void> name, int len) {
  return SetUtsName(self, name, len, /*host=*/true);
}
SyscallResult SysSetdomainname(Thread& self, UserInPtr<void> name, int len) {
  return SetUtsName(self, name, len, /*host=*/false);
}

// reboot(magic1, magic2, cmd, arg) (linux/reboot.h): CAP_SYS_BOOT (EPERM),
// then the magic numbers (EINVAL). POWER_OFF and HALT stop the machine
// (under QEMU, the process exits with success), RESTART and RESTART2 reset
// it; like Linux, none of them syncs file systems (programs call sync()
// first, as BusyBox's poweroff -f does). CAD_ON/CAD_OFF only record the
// setting (there is no keyboard to press Ctrl-Alt-Del on); KEXEC and
// SW_SUSPEND are EINVAL, as on a Linux built without kexec or hibernation.
constexpr uint32_t kRebootMagic1 = 0xfee1dead;
constexpr std::array<uint32_t, 4> kRebootMagic2 = {672274793, 85072278, 369367448, 537993216};
constexpr uint32_t kRebootRestart = 0x01234567, kRebootHalt = 0xcdef0123, kRebootCadOn = 0x89abcdef,
                   kRebootCadOff = 0, kRebootPowerOff = 0x4321fedc, kRebootRestart2 = 0xa1b2c3d4;
std::atomic<bool> ctrl_alt_del_reboots{true};

SyscallResult SysReboot(Thread& self, int magic1, int magic2, uint32_t cmd, uint64_t arg) {
  if (!self.process().creds().Capable(Cap::kSysBoot)) return Err(Errno::kEPERM);
  bool magic2_ok = false;
  for (uint32_t m : kRebootMagic2) magic2_ok = magic2_ok || static_cast<uint32_t>(magic2) == m;
  if (static_cast<uint32_t>(magic1) != kRebootMagic1 || !magic2_ok) return Err(Errno::kEINVAL);
  switch (cmd) {
    case kRebootCadOn:
    case kRebootCadOff:
      ctrl_alt_del_reboots.store(cmd == kRebootCadOn, std::memory_order_relaxed);
      return 0;
    case kRebootPowerOff:
      ostd::Println("reboot: Power down");
      ostd::power::Exit(ostd::power::ExitCode::kSuccess);
    case kRebootHalt:
      ostd::Println("reboot: System halted");
      ostd::power::Exit(ostd::power::ExitCode::kSuccess);
    case kRebootRestart2: {
      // Linux copies the command string (strncpy_from_user, at most 255
      // bytes) before restarting: a bad pointer is EFAULT and nothing happens.
      std::array<char, 256> command{};
      ostd::Result<size_t> n = ostd::vm::CopyStringFromUser(
          UserInPtr<const char>(arg), std::span<char>(command).first(command.size() - 1));
      if (!n && n.error() != Errno::kENAMETOOLONG) return Err(n.error());
      size_t len = n ? *n : command.size() - 1;
      ostd::Println("reboot: Restarting system with command '{}'",
                    std::string_view(std::span<const char>(command).first(len)));
      ostd::power::Reset();
    }
    case kRebootRestart:
      ostd::Println("reboot: Restarting system");
      ostd::power::Reset();
    default:
      return Err(Errno::kEINVAL);
  }
}

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

SyscallResult SysSysinfo(Thread&, UserOutPtr<Sysinfo> info) {
  ostd::mm::FrameStats fs = ostd::mm::GetFrameStats();
  Sysinfo s{};
  s.uptime = static_cast<int64_t>(MonotonicNs() / 1'000'000'000);
  s.totalram = fs.total_frames * 4096;
  s.freeram = fs.free_frames * 4096;
  s.procs = static_cast<uint16_t>(ProcessCount());
  s.mem_unit = 1;
  OSTD_TRY(CopyToUser(info, s));
  return 0;
}

SyscallResult SysGetrandom(Thread&, UserOutPtr<void> buf, uint64_t count, uint32_t flags) {
  constexpr uint32_t kNonblock = 1, kRandom = 2, kInsecure = 4;
  if ((flags & ~(kNonblock | kRandom | kInsecure)) != 0 ||
      (flags & (kRandom | kInsecure)) == (kRandom | kInsecure)) {
    return Err(Errno::kEINVAL);
  }
  uint64_t len = std::min<uint64_t>(count, 33554431);  // Linux caps one call at 32 MiB - 1
  OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, ostd::vm::UserWriter(buf, len));
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

SyscallResult SysSchedYield(Thread&) {
  ostd::Yield();
  return 0;
}

// sched_*affinity name a thread by tid (0: the caller). ESRCH if none; true
// if it is the caller.
ostd::Result<bool> CheckTid(Thread& self, int id) {
  const PidNamespace& ns = self.process().pid_ns();
  if (id == 0 || id == self.TidIn(ns)) return true;
  ostd::SpinLockGuard guard(TreeLock());
  if (id < 0 || FindThreadInLocked(ns, id) == nullptr) return Err(Errno::kESRCH);
  return false;
}

uint64_t OnlineMask() {
  uint32_t n = ostd::cpu::Count();
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

// The caller's own mask is its task's; other threads' masks are not tracked
// here (reported as every online CPU).
SyscallResult SysSchedGetaffinity(Thread& self, int pid, uint32_t len,
                                  UserOutPtr<uint64_t> user_mask) {
  OSTD_TRY_ASSIGN(bool own, CheckTid(self, pid));
  // The kernel's mask is one word: user space must offer at least that and
  // a multiple of the word size.
  if (len < sizeof(uint64_t) || len % sizeof(uint64_t) != 0) return Err(Errno::kEINVAL);
  uint64_t mask = OnlineMask();
  if (own) mask &= ostd::CurrentTask()->affinity().bits();
  OSTD_TRY(CopyToUser(user_mask, mask));
  return sizeof(uint64_t);
}

// The caller moves to an allowed CPU before this returns. Setting another
// thread's mask is accepted and has no effect (an expected divergence: Keel's
// scheduler lets a task change only its own affinity).
SyscallResult SysSchedSetaffinity(Thread& self, int pid, uint32_t len,
                                  UserInPtr<uint64_t> user_mask) {
  OSTD_TRY_ASSIGN(bool own, CheckTid(self, pid));
  if (len < sizeof(uint64_t)) return Err(Errno::kEINVAL);
  OSTD_TRY_ASSIGN(uint64_t mask, CopyFromUser(user_mask));
  mask &= OnlineMask();
  if (mask == 0) return Err(Errno::kEINVAL);
  if (own) OSTD_TRY(ostd::SetCurrentTaskAffinity(ostd::CpuSet::FromBits(mask)));
  return 0;
}

// getcpu(cpu, node, cache): the third argument is unused since Linux 2.6.24.
// rseq(2): kernel/process/rseq.h.
SyscallResult SysRseq(Thread& self, uint64_t addr, uint32_t len, int32_t flags, uint32_t sig) {
  return RseqSyscall(self, addr, len, flags, sig);
}

SyscallResult SysGetcpu(Thread&, UserOutPtr<uint32_t> cpup, UserOutPtr<uint32_t> nodep, uint64_t) {
  uint32_t cpu = ostd::cpu::CurrentId();
  if (!cpup.is_null()) OSTD_TRY(CopyToUser(cpup, cpu));
  if (!nodep.is_null()) OSTD_TRY(CopyToUser(nodep, uint32_t{0}));
  return 0;
}

struct Rlimit64 {
  uint64_t cur;
  uint64_t max;
  OSTD_POD(Rlimit64, cur, max);
};

// prlimit64(pid, resource, new_limit, old_limit): either pointer may be NULL.
SyscallResult SysPrlimit64(Thread& self, int pid, uint32_t resource, UserInPtr<Rlimit64> new_limit,
                           UserOutPtr<Rlimit64> old_limit) {
  if (resource >= Process::kRlimitCount) return Err(Errno::kEINVAL);
  if (pid != 0 && pid != self.TidIn(self.process().pid_ns())) {
    ostd::SpinLockGuard guard(TreeLock());
    if (FindProcessInLocked(self.process().pid_ns(), pid) == nullptr) return Err(Errno::kESRCH);
    return Err(Errno::kEPERM);  // other processes' limits are not supported
  }
  Process::Rlimit& lim = self.process().rlimits[resource];
  Rlimit64 old{lim.cur, lim.max};
  if (!new_limit.is_null()) {
    OSTD_TRY_ASSIGN(Rlimit64 next, CopyFromUser(new_limit));
    if (next.cur > next.max) return Err(Errno::kEINVAL);
    if (next.max > lim.max && !self.process().creds().Capable(Cap::kSysResource))
      return Err(Errno::kEPERM);
    if (resource == 7 && next.max > 1048576) return Err(Errno::kEPERM);  // nr_open
    lim = Process::Rlimit{next.cur, next.max};
    if (resource == 7) {  // RLIMIT_NOFILE
      self.process().files().SetLimit(
          static_cast<int>(next.cur > fs::kMaxFds ? fs::kMaxFds : next.cur));
    }
  }
  if (!old_limit.is_null()) OSTD_TRY(CopyToUser(old_limit, old));
  return 0;
}

// getrlimit/setrlimit: the pointer is not optional (NULL is EFAULT, as on
// Linux, where only prlimit64 takes NULL for "none").
SyscallResult SysGetrlimit(Thread& self, uint32_t resource, UserOutPtr<Rlimit64> rlim) {
  if (rlim.is_null()) return Err(Errno::kEFAULT);
  return SysPrlimit64(self, 0, resource, UserInPtr<Rlimit64>(), rlim);
}

SyscallResult SysSetrlimit(Thread& self, uint32_t resource, UserInPtr<Rlimit64> rlim) {
  if (rlim.is_null()) return Err(Errno::kEFAULT);
  return SysPrlimit64(self, 0, resource, rlim, UserOutPtr<Rlimit64>());
}

// getrusage: RUSAGE_SELF (0), RUSAGE_CHILDREN (-1, reaped children) and
// RUSAGE_THREAD (1); CPU times only.
SyscallResult SysGetrusage(Thread& self, int who, UserOutPtr<Rusage> usage) {
  constexpr int kSelf = 0, kChildren = -1, kThread = 1;
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
  OSTD_TRY(CopyToUser(usage, RusageOf(times)));
  return 0;
}

// personality(2): any persona is stored and the old one returned;
// 0xffffffff only queries. Keel's behaviour follows none of the flags
// (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, UNAME26, ...): they are kept so that
// programs reading them back see what they set, and execve clears the
// PER_CLEAR_ON_SETID ones for a set-id program, as Linux.
SyscallResult SysPersonality(Thread& self, uint32_t persona) {
  if (persona == 0xffffffff) return self.process().personality.load(std::memory_order_relaxed);
  return self.process().personality.exchange(persona, std::memory_order_relaxed);
}

// prctl(option, arg2, arg3, arg4, arg5). The options Keel implements, with
// Linux's argument checks; anything else is EINVAL, as Linux for an option it
// does not know.
constexpr int kPrSetPdeathsig = 1, kPrGetPdeathsig = 2, kPrGetDumpable = 3, kPrSetDumpable = 4,
              kPrGetKeepcaps = 7, kPrSetKeepcaps = 8, kPrSetName = 15, kPrGetName = 16,
              kPrGetSeccomp = 21, kPrCapbsetRead = 23, kPrCapbsetDrop = 24, kPrGetSecurebits = 27,
              kPrSetSecurebits = 28, kPrSetChildSubreaper = 36, kPrGetChildSubreaper = 37,
              kPrSetNoNewPrivs = 38, kPrGetNoNewPrivs = 39, kPrGetTidAddress = 40,
              kPrCapAmbient = 47;
constexpr uint64_t kAmbientIsSet = 1, kAmbientRaise = 2, kAmbientLower = 3, kAmbientClearAll = 4;

// PR_CAP_AMBIENT (Linux's cap_task_prctl).
SyscallResult PrctlAmbient(Thread& self, uint64_t op, uint64_t cap, uint64_t arg4, uint64_t arg5) {
  const Credentials& c = self.process().creds();
  if (op == kAmbientClearAll) {
    if ((cap | arg4 | arg5) != 0) return Err(Errno::kEINVAL);
    Credentials n = c;
    n.cap_ambient = 0;
    self.process().SetCreds(n);
    return 0;
  }
  if (!CapValid(cap) || (arg4 | arg5) != 0) return Err(Errno::kEINVAL);
  if (op == kAmbientIsSet) return ((c.cap_ambient >> cap) & 1) != 0 ? 1 : 0;
  if (op != kAmbientRaise && op != kAmbientLower) return Err(Errno::kEINVAL);
  OSTD_TRY(self.process().CommitCreds(op == kAmbientRaise ? creds::RaiseAmbient(c, cap)
                                                          : creds::LowerAmbient(c, cap)));
  return 0;
}

SyscallResult SysPrctl(Thread& self, int option, uint64_t arg2, uint64_t arg3, uint64_t arg4,
                       uint64_t arg5) {
  Process& p = self.process();
  switch (option) {
    case kPrSetName: {
      std::array<char, 16> name{};
      OSTD_TRY_ASSIGN(size_t n, ostd::vm::CopyStringFromUser(UserInPtr<const char>(arg2),
                                                             std::span<char>(name).first(15)));
      p.set_name(std::string_view(std::span<const char>(name).first(n)));
      return 0;
    }
    case kPrGetName: {
      std::array<char, 16> name{};
      std::string_view cur = p.name();
      (void)ostd::CopyChars(cur, name);
      OSTD_TRY(CopyToUser(UserOutPtr<std::array<char, 16>>(arg2), name));
      return 0;
    }
    case kPrSetPdeathsig:
      if (arg2 > static_cast<uint64_t>(kNumSignals)) return Err(Errno::kEINVAL);
      p.pdeath_signal.store(static_cast<int>(arg2), std::memory_order_relaxed);
      return 0;
    case kPrGetPdeathsig:
      OSTD_TRY(CopyToUser(UserOutPtr<int32_t>(arg2),
                          int32_t{p.pdeath_signal.load(std::memory_order_relaxed)}));
      return 0;
    case kPrGetDumpable:
      return p.dumpable.load(std::memory_order_relaxed);
    case kPrSetDumpable:
      if (arg2 > 1) return Err(Errno::kEINVAL);
      p.dumpable.store(static_cast<int>(arg2), std::memory_order_relaxed);
      return 0;
    case kPrGetKeepcaps:
      return p.creds().Secure(kSecureKeepCaps) ? 1 : 0;
    case kPrSetKeepcaps:
      OSTD_TRY(p.CommitCreds(creds::SetKeepCaps(p.creds(), arg2)));
      return 0;
    case kPrGetSeccomp:
      return 0;  // no seccomp filter or strict mode (Keel has neither)
    case kPrCapbsetRead:
      if (!CapValid(arg2)) return Err(Errno::kEINVAL);
      return ((p.creds().cap_bounding >> arg2) & 1) != 0 ? 1 : 0;
    case kPrCapbsetDrop:
      OSTD_TRY(p.CommitCreds(creds::DropBounding(p.creds(), arg2)));
      return 0;
    case kPrGetSecurebits:
      return p.creds().securebits;
    case kPrSetSecurebits:
      OSTD_TRY(p.CommitCreds(creds::SetSecurebits(p.creds(), arg2)));
      return 0;
    case kPrSetChildSubreaper:
      p.child_subreaper.store(arg2 != 0, std::memory_order_relaxed);
      return 0;
    case kPrGetChildSubreaper:
      OSTD_TRY(CopyToUser(UserOutPtr<int32_t>(arg2),
                          int32_t{p.child_subreaper.load(std::memory_order_relaxed) ? 1 : 0}));
      return 0;
    case kPrSetNoNewPrivs:
      if (arg2 != 1 || (arg3 | arg4 | arg5) != 0) return Err(Errno::kEINVAL);
      p.no_new_privs.store(true, std::memory_order_relaxed);
      return 0;
    case kPrGetNoNewPrivs:
      if ((arg2 | arg3 | arg4 | arg5) != 0) return Err(Errno::kEINVAL);
      return p.no_new_privs.load(std::memory_order_relaxed) ? 1 : 0;
    case kPrGetTidAddress:
      OSTD_TRY(CopyToUser(UserOutPtr<uint64_t>(arg2), self.clear_child_tid.addr()));
      return 0;
    case kPrCapAmbient:
      return PrctlAmbient(self, arg2, arg3, arg4, arg5);
    default:
      return Err(Errno::kEINVAL);
  }
}

struct CapHeader {
  uint32_t version;
  int32_t pid;
  OSTD_POD(CapHeader, version, pid);
};
struct CapData {
  uint32_t effective, permitted, inheritable;
  OSTD_POD(CapData, effective, permitted, inheritable);
};

// The capability ABI versions (linux/capability.h): v1 carries one 32-bit
// data struct, v2 and v3 two. An unknown version is replaced in the header
// by the one Keel speaks (v3) and is EINVAL.
constexpr uint32_t kCapV1 = 0x19980330, kCapV2 = 0x20071026, kCapV3 = 0x20080522;

ostd::Result<size_t> CapStructs(UserInOutPtr<CapHeader> header) {
  OSTD_TRY_ASSIGN(uint32_t version, CopyFromUser(header.Cast<uint32_t>()));
  if (version == kCapV1) return 1;
  if (version == kCapV2 || version == kCapV3) return 2;
  OSTD_TRY(CopyToUser(UserOutPtr<uint32_t>(header.addr()), kCapV3));
  return Err(Errno::kEINVAL);
}

// The header's pid, read on its own after the version (as Linux's get_user).
ostd::Result<int32_t> HeaderPid(UserInOutPtr<CapHeader> header) {
  OSTD_TRY_ASSIGN(UserInPtr<int32_t> pid, UserInPtr<int32_t>(header.Cast<int32_t>()).At(1));
  return CopyFromUser(pid);
}

// capget(header, data): the sets of the caller (pid 0 or its own) or of
// process `pid` (ESRCH if none, EINVAL if negative). A NULL data pointer
// only probes the version (0 even for an unknown one).
SyscallResult SysCapget(Thread& self, UserInOutPtr<CapHeader> header, UserOutPtr<CapData> data) {
  ostd::Result<size_t> n = CapStructs(header);
  if (data.is_null()) return n || n.error() == Errno::kEINVAL ? SyscallResult(0) : Err(n.error());
  if (!n) return Err(n.error());
  OSTD_TRY_ASSIGN(int32_t pid, HeaderPid(header));
  if (pid < 0) return Err(Errno::kEINVAL);
  Credentials c = self.process().creds();
  if (pid != 0 && pid != self.TidIn(self.process().pid_ns())) {
    ostd::SpinLockGuard guard(TreeLock());
    Thread* t = FindThreadInLocked(self.process().pid_ns(), pid);
    if (t == nullptr) return Err(Errno::kESRCH);
    c = t->process().creds();
  }
  for (size_t i = 0; i < *n; ++i) {
    int shift = static_cast<int>(32 * i);
    CapData d{static_cast<uint32_t>(c.cap_effective >> shift),
              static_cast<uint32_t>(c.cap_permitted >> shift),
              static_cast<uint32_t>(c.cap_inheritable >> shift)};
    OSTD_TRY_ASSIGN(UserOutPtr<CapData> at, data.At(i));
    OSTD_TRY(CopyToUser(at, d));
  }
  return 0;
}

// capset(header, data): the caller's own sets only (pid 0 or the calling
// thread's id; anything else is EPERM), with the rules of creds::CapSet.
SyscallResult SysCapset(Thread& self, UserInOutPtr<CapHeader> header, UserInPtr<CapData> data) {
  OSTD_TRY_ASSIGN(size_t n, CapStructs(header));
  OSTD_TRY_ASSIGN(int32_t pid, HeaderPid(header));
  if (pid != 0 && pid != self.TidIn(self.process().pid_ns())) return Err(Errno::kEPERM);
  uint64_t effective = 0, permitted = 0, inheritable = 0;
  for (size_t i = 0; i < n; ++i) {
    OSTD_TRY_ASSIGN(UserInPtr<CapData> at, data.At(i));
    OSTD_TRY_ASSIGN(CapData d, CopyFromUser(at));
    int shift = static_cast<int>(32 * i);
    effective |= uint64_t{d.effective} << shift;
    permitted |= uint64_t{d.permitted} << shift;
    inheritable |= uint64_t{d.inheritable} << shift;
  }
  OSTD_TRY(self.process().CommitCreds(
      creds::CapSet(self.process().creds(), effective, permitted, inheritable)));
  return 0;
}

}  // namespace

void RegisterInfoSyscalls(SyscallTable& t) {
  t.Bind<sysno::uname, SysUname>();
  t.Bind<sysno::sethostname, SysSethostname>();
  t.Bind<sysno::setdomainname, SysSetdomainname>();
  t.Bind<sysno::reboot, SysReboot>();
  t.Bind<sysno::sysinfo, SysSysinfo>();
  t.Bind<sysno::getrandom, SysGetrandom>();
  t.Bind<sysno::sched_yield, SysSchedYield>();
  t.Bind<sysno::sched_getaffinity, SysSchedGetaffinity>();
  t.Bind<sysno::sched_setaffinity, SysSchedSetaffinity>();
  t.Bind<sysno::getcpu, SysGetcpu>();
  t.Bind<sysno::rseq, SysRseq>();
  t.Bind<sysno::prlimit64, SysPrlimit64>();
  t.Bind<sysno::getrlimit, SysGetrlimit>();
  t.Bind<sysno::setrlimit, SysSetrlimit>();
  t.Bind<sysno::getrusage, SysGetrusage>();
  t.Bind<sysno::personality, SysPersonality>();
  t.Bind<sysno::prctl, SysPrctl>();
  t.Bind<sysno::capget, SysCapget>();
  t.Bind<sysno::capset, SysCapset>();
}

}  // namespace kernel
