// Signal numbers, sets, dispositions and delivery (Linux x86_64 ABI).
#ifndef KERNEL_PROCESS_SIGNAL_H_
#define KERNEL_PROCESS_SIGNAL_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "kernel/fs/object_id.h"
#include "ostd/pod.h"
#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/vm/user_ptr.h"

namespace kernel {
namespace fs {
class Waitable;
}  // namespace fs

class Thread;

using SigSet = uint64_t;  // bit (n - 1) stands for signal n
inline constexpr int kNumSignals = 64;

inline constexpr int kSigHup = 1, kSigInt = 2, kSigQuit = 3, kSigIll = 4, kSigTrap = 5,
                     kSigAbrt = 6, kSigBus = 7, kSigFpe = 8, kSigKill = 9, kSigUsr1 = 10,
                     kSigSegv = 11, kSigUsr2 = 12, kSigPipe = 13, kSigAlrm = 14, kSigTerm = 15,
                     kSigStkflt = 16, kSigChld = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20,
                     kSigTtin = 21, kSigTtou = 22, kSigUrg = 23, kSigXcpu = 24, kSigXfsz = 25,
                     kSigVtalrm = 26, kSigProf = 27, kSigWinch = 28, kSigIo = 29, kSigPwr = 30,
                     kSigSys = 31;

inline constexpr int kSigRtMin = 32;  // the first real-time signal (glibc reserves 32, 33)

constexpr SigSet SigBit(int sig) { return SigSet{1} << (sig - 1); }
inline constexpr SigSet kUnblockable = SigBit(kSigKill) | SigBit(kSigStop);

// sa_handler special values and sa_flags bits.
inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;
inline constexpr uint64_t kSaNoCldStop = 0x1;
inline constexpr uint64_t kSaNoCldWait = 0x2;
inline constexpr uint64_t kSaSiginfo = 0x4;
inline constexpr uint64_t kSaOnStack = 0x08000000;
inline constexpr uint64_t kSaRestart = 0x10000000;
inline constexpr uint64_t kSaNoDefer = 0x40000000;
inline constexpr uint64_t kSaResetHand = 0x80000000;
inline constexpr uint64_t kSaRestorer = 0x04000000;

// struct sigaction as the x86_64 rt_sigaction syscall sees it.
struct KernelSigaction {
  uint64_t handler = kSigDfl;
  uint64_t flags = 0;
  uint64_t restorer = 0;
  SigSet mask = 0;
  OSTD_POD(KernelSigaction, handler, flags, restorer, mask);
};
static_assert(sizeof(KernelSigaction) == 32);

// struct sigevent (64 bytes) as timer_create and mq_notify read it:
// sigev_value, sigev_signo, sigev_notify, then the union whose first int is
// sigev_notify_thread_id.
struct Sigevent {
  uint64_t value;
  int32_t signo;
  int32_t notify;
  int32_t tid;
  std::array<int32_t, 11> pad;
  OSTD_POD(Sigevent, value, signo, notify, tid, pad);
};
static_assert(sizeof(Sigevent) == 64);

// What siginfo_t reports about a pending signal (queued as sig_queue.h says).
struct SigInfo {
  int32_t code = 0;  // si_code: SI_USER 0, SI_KERNEL 0x80, SI_TKILL -6, CLD_*, SEGV_*
  int32_t pid = 0;   // sender, or the child for SIGCHLD
  uint32_t uid = 0;
  int32_t status = 0;   // SIGCHLD: exit code or signal
  uint64_t addr = 0;    // faults: the address
  int32_t errno_ = 0;   // si_errno
  uint64_t value = 0;   // si_value (sigqueue, POSIX timers)
  int32_t timerid = 0;  // SI_TIMER: si_timerid
  int32_t overrun = 0;  // SI_TIMER: si_overrun
  // Set only by the kernel for a POSIX timer's own signal (never from user
  // memory): taking it re-arms the timer (PosixTimerSignalTaken).
  bool posix_timer = false;
  // Set only by ForceSignal (a fault the kernel forces on a thread): the one
  // kind of signal with the default action that reaches the global init.
  bool forced = false;
  // Set by the kernel when the sender's pid namespace cannot see the
  // target (an ancestor's): its SIGKILL and SIGSTOP reach the init of a
  // pid namespace, which otherwise takes only what it has handlers for
  // (Linux's force for SIGNAL_UNKILLABLE).
  bool from_outside_ns = false;
};
inline constexpr int32_t kSiUser = 0;
inline constexpr int32_t kSiKernel = 0x80;
inline constexpr int32_t kSiQueue = -1;
inline constexpr int32_t kSiTimer = -2;
inline constexpr int32_t kSiSigio = -5;
inline constexpr int32_t kSiTkill = -6;

// Which members of siginfo_t's union a signal carries (Linux's
// siginfo_layout()): decides what siginfo_t and signalfd_siginfo report.
enum class SigLayout : uint8_t { kKill, kTimer, kPoll, kFault, kChld, kRt, kSys };
SigLayout LayoutOf(int sig, int32_t code);
inline constexpr int32_t kCldExited = 1;
inline constexpr int32_t kCldKilled = 2;
inline constexpr int32_t kCldDumped = 3;
inline constexpr int32_t kSegvMaperr = 1;
inline constexpr int32_t kSegvAccerr = 2;
// si_code of SIGBUS for a file page that does not exist (BUS_ADRERR).
inline constexpr int32_t kBusAdrerr = 2;

enum class DefaultAction : uint8_t { kTerminate, kCoreDump, kIgnore, kStop, kContinue };
DefaultAction DefaultActionOf(int sig);

// The handler table, shared by threads (and by CLONE_SIGHAND processes).
class SignalHandlers final : public ostd::RefCounted<SignalHandlers> {
 public:
  static ostd::Result<ostd::RefPtr<SignalHandlers>> Create();
  ostd::Result<ostd::RefPtr<SignalHandlers>> Clone() const;
  SignalHandlers() = default;

  KernelSigaction Get(int sig) const;
  void Set(int sig, const KernelSigaction& action);
  // execve: handled signals go back to the default; ignored ones stay ignored.
  void ResetForExec();
  // The table's object id (kernel/fs/object_id.h; kcmp's KCMP_SIGHAND).
  uint64_t id() const { return id_; }

 private:
  const uint64_t id_ = NextObjectId();
  mutable ostd::SpinLock lock_;
  std::array<KernelSigaction, kNumSignals> actions_ ABSL_GUARDED_BY(lock_){};
};

// Delivers the pending signals of the running thread `t` before it returns
// to user mode: runs default actions (terminating the process) or builds a
// signal frame on the user stack for a handler.
void DeliverSignals(Thread& t);

// A signal taken off the pending sets.
struct TakenSignal {
  int sig;
  SigInfo info;
};
// Dequeues the next pending signal in `allowed` (the thread's own before
// the process's; synchronous fault signals first, then the lowest number,
// one queued instance at a time in FIFO order), as delivery does, without
// acting on it (rt_sigtimedwait, signalfd).
std::optional<TakenSignal> TakeSignal(Thread& t, SigSet allowed);
// Writes the siginfo_t user space sees for `sig` (128 bytes) to `dst`. EFAULT.
ostd::Status CopySigInfoToUser(ostd::vm::UserOutPtr<void> dst, int sig, const SigInfo& info);
// Reads a user siginfo_t (128 bytes; rt_sigqueueinfo) into the fields its
// layout for `sig` carries. EFAULT.
ostd::Result<SigInfo> CopySigInfoFromUser(ostd::vm::UserInPtr<void> src, int sig);

// signalfd(2) readiness: while signal watchers exist (AddSignalWatcher),
// every signal sent notifies SignalWaitable(), so readers and pollers of a
// signalfd recheck the pending sets.
fs::Waitable& SignalWaitable();
void AddSignalWatcher();
void RemoveSignalWatcher();

// Process exits (pidfd readiness): every process that ends notifies
// ProcessExitWaitable().
fs::Waitable& ProcessExitWaitable();
void NotifyProcessExit();

// Drops the pending instances of the signals in `set` from `p`'s shared
// queue and every thread's own (a signal became ignored). Takes TreeLock().
class Process;
void DiscardPendingSignals(Process& p, SigSet set);

// kill(2)'s permission (Linux's check_kill_permission): a process may always
// signal itself; otherwise the uids must match or the sender needs CAP_KILL
// (creds::MaySignal), except that SIGCONT reaches any process of the
// sender's session.
bool MaySignal(const Process& sender, const Process& target, uint64_t sig);

// Raises a synchronous signal for a CPU exception at `addr`: delivered even
// if blocked or ignored (then with the default action, as Linux does).
void ForceSignal(Thread& t, int sig, uint64_t addr, int32_t code);

// rt_sigreturn: restores the context saved by the frame at the user stack,
// and the alternate signal stack the frame recorded (as Linux's
// restore_altstack, whose errors do not fail the call). Returns the restored
// rax (the value the interrupted code sees).
ostd::Result<uint64_t> SigReturn(Thread& t);

// The alternate signal stack (sigaltstack(2)), as Linux keeps it: the flags
// as last set (SS_ONSTACK or 0, or SS_DISABLE, with SS_AUTODISARM), a size
// of 0 meaning none.
inline constexpr int32_t kSsOnStack = 1;
inline constexpr int32_t kSsDisable = 2;
inline constexpr int32_t kSsAutoDisarm = INT32_MIN;  // 1 << 31
// Linux's sas_ss_flags(sp): SS_DISABLE without a stack, SS_ONSTACK if `sp`
// lies on it (never with SS_AUTODISARM, which disarms the stack on entry to
// a handler), else 0.
int32_t AltStackMode(const Thread& t, uint64_t sp);
// Linux's do_sigaltstack with a new stack (`flags`, `base`, `size`) for a
// thread whose stack pointer is `sp`. EPERM while on the stack, EINVAL for
// flags other than SS_ONSTACK, SS_DISABLE or 0 (each may carry
// SS_AUTODISARM), ENOMEM for a size below `min_size`.
ostd::Status SetAltStack(Thread& t, uint64_t sp, uint64_t base, int32_t flags, uint64_t size,
                         uint64_t min_size);

// The fatal signal a user-mode CPU exception raises (page faults already
// tried demand paging): SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP.
int SignalForException(uint8_t vector);

}  // namespace kernel

#endif  // KERNEL_PROCESS_SIGNAL_H_
