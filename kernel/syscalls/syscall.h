// The system-call layer's shape. Numbers, names, restart behaviour and argument
// kinds are declared once, in syscall_list.h; each family (one file under
// kernel/syscalls/) binds its handlers to those numbers, and the table decodes
// the argument registers into the handler's typed parameters:
//
//   // syscall_list.h:  S(0, read, Sys, Fd, Out, Len)
//   SyscallResult SysRead(Thread& self, int fd, UserOutPtr<void> buf, size_t count);
//   void RegisterFileIoSyscalls(SyscallTable& t) { t.Bind<sysno::read, SysRead>(); }
//
// Bind checks at compile time that the handler takes one parameter per
// declared argument, each of the type its kind allows (syscall_list.h), and
// InitSyscalls checks at boot that every implemented call got a handler. A
// handler returns the value user space sees in rax, or an ostd::Errno that the
// dispatcher turns into -errno. User memory is reached only through the
// directional pointers (UserInPtr/UserOutPtr/UserInOutPtr, ostd/vm/user_ptr.h).
#ifndef KERNEL_SYSCALLS_SYSCALL_H_
#define KERNEL_SYSCALLS_SYSCALL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "kernel/syscalls/syscall_spec.h"
#include "ostd/panic.h"
#include "ostd/result.h"
#include "ostd/vm/user_ptr.h"

namespace kernel {

class Thread;

// The caller's user registers at the syscall, in Linux's struct pt_regs
// order (r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs
// flags sp ss) with Linux's entry values (ax = -ENOSYS, orig_ax = the
// number). It is what Linux's __x64_sys_* functions get in %di, so kprobes on
// their aliases (kernel/tracing/linux_symbols.h) fetch arguments at the same
// offsets: +0x70(%di) is the first, +0x68(%di) the second.
struct SyscallArgs {
  static constexpr std::array<size_t, 6> kArgSlot{14, 13, 12, 7, 9, 8};  // di si dx r10 r8 r9
  std::array<uint64_t, 21> pt{};
  // The i-th argument register (rdi, rsi, rdx, r10, r8, r9).
  uint64_t operator[](size_t i) const { return pt[kArgSlot[i]]; }
};

using SyscallResult = ostd::Result<uint64_t>;
// A table entry: the adapter Bind generates for a typed handler, which
// decodes the registers (handlers themselves never see them).
// The registers come first, as in Linux's __x64_sys_*(const struct pt_regs *).
using SyscallFn = SyscallResult (*)(const SyscallArgs& args, Thread& self);

// Linux x86_64 numbers are below this.
inline constexpr int kSyscallCount = 512;

static_assert(kSyscallSpecCount <= kSyscallCount);

namespace syscall_adapt {

// Decodes one argument register into the handler's parameter type, as Linux
// does: 32-bit parameters take the low half.
template <typename P>
struct Decode;
template <>
struct Decode<int> {
  static constexpr int From(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
};
template <>
struct Decode<uint32_t> {
  static constexpr uint32_t From(uint64_t v) { return static_cast<uint32_t>(v); }
};
template <>
struct Decode<int64_t> {
  static constexpr int64_t From(uint64_t v) { return static_cast<int64_t>(v); }
};
template <>
struct Decode<uint64_t> {
  static constexpr uint64_t From(uint64_t v) { return v; }
};
template <typename P>
  requires ostd::vm::UserReadable<P> || ostd::vm::UserWritable<P>
struct Decode<P> {
  static constexpr P From(uint64_t v) {
    P ptr(v);
    return ptr;
  }
};

template <typename P>
struct DirOf {
  static constexpr bool kIsPtr = false;
};
template <typename P>
  requires ostd::vm::UserReadable<P> || ostd::vm::UserWritable<P>
struct DirOf<P> {
  static constexpr bool kIsPtr = true;
  static constexpr ostd::vm::UserAccess kAccess = P::kAccess;
  static constexpr bool kString = std::is_same_v<typename P::Elem, const char>;
};

// Whether a handler parameter of type P may receive an argument of kind `k`
// (the table in syscall_list.h).
template <typename P>
consteval bool Accepts(ArgKind k) {
  using ostd::vm::UserAccess;
  switch (k) {
    case ArgKind::kFd:
    case ArgKind::kDirFd:
    case ArgKind::kInt:
    case ArgKind::kPid:
    case ArgKind::kSig:
    case ArgKind::kClock:
      return std::is_same_v<P, int>;
    case ArgKind::kUint:
    case ArgKind::kMode:
    case ArgKind::kUid:
      return std::is_same_v<P, uint32_t>;
    case ArgKind::kFlags:
      return std::is_same_v<P, int> || std::is_same_v<P, uint32_t> || std::is_same_v<P, uint64_t>;
    case ArgKind::kLong:
    case ArgKind::kOff:
      return std::is_same_v<P, int64_t>;
    case ArgKind::kUlong:
    case ArgKind::kLen:
    case ArgKind::kAddr:
    case ArgKind::kRaw:
      return std::is_same_v<P, uint64_t>;
    case ArgKind::kPath:
    case ArgKind::kString:
      if constexpr (DirOf<P>::kIsPtr) {
        return DirOf<P>::kAccess == UserAccess::kIn && DirOf<P>::kString;
      }
      return false;
    case ArgKind::kIn:
    case ArgKind::kOut:
    case ArgKind::kInOut:
      if constexpr (DirOf<P>::kIsPtr) {
        UserAccess want = k == ArgKind::kIn    ? UserAccess::kIn
                          : k == ArgKind::kOut ? UserAccess::kOut
                                               : UserAccess::kInOut;
        return DirOf<P>::kAccess == want;
      }
      return false;
    case ArgKind::kNone:
      return false;
  }
  return false;
}

// The adapter from the raw registers to a typed handler `Fn` for call `Nr`.
template <int Nr, auto Fn>
struct Adapter;
template <int Nr, typename... P, SyscallResult (*Fn)(Thread&, P...)>
struct Adapter<Nr, Fn> {
  static constexpr const SyscallSpec& kSpec = kSyscallSpecs[Nr];
  static_assert(kSpec.implemented, "syscall_list.h declares this call N (not implemented)");
  static_assert(sizeof...(P) == kSpec.argc,
                "the handler's parameter count differs from syscall_list.h");

  template <size_t... I>
  static consteval bool TypesMatch(std::index_sequence<I...>) {
    return (Accepts<P>(kSpec.args[I]) && ...);
  }
  static_assert(TypesMatch(std::index_sequence_for<P...>{}),
                "a handler parameter's type does not fit its kind in syscall_list.h");

  template <size_t... I>
  static SyscallResult Call(const SyscallArgs& a, Thread& self, std::index_sequence<I...>) {
    return Fn(self, Decode<P>::From(a[I])...);
  }
  // Out of line, one per call: Linux's __x64_sys_<name> for kprobes.
  [[gnu::noinline]] static SyscallResult Call(const SyscallArgs& a, Thread& self) {
    return Call(a, self, std::index_sequence_for<P...>{});
  }
};

}  // namespace syscall_adapt

class SyscallTable {
 public:
  struct Entry {
    std::string_view name;
    SyscallFn fn = nullptr;
  };

  // Binds handler `Fn` to call `Nr` (sysno::name) as syscall_list.h declares
  // it; the handler's signature is checked against the list at compile time.
  // Binding a number twice is a kernel bug (panic).
  template <int Nr, auto Fn>
  void Bind() {
    Register(Nr, kSyscallSpecs[Nr].name, &syscall_adapt::Adapter<Nr, Fn>::Call);
  }
  // The entry for `nr`, or an empty one. Inline: every system call does it.
  const Entry& Lookup(uint64_t nr) const;
  // Panics unless every call syscall_list.h marks implemented has a handler
  // and no other does.
  void CheckComplete() const;

 private:
  void Register(int nr, std::string_view name, SyscallFn fn);

  std::array<Entry, kSyscallCount> entries_{};
};

namespace syscall_internal {
inline constexpr SyscallTable::Entry kNoEntry{};
}  // namespace syscall_internal

inline const SyscallTable::Entry& SyscallTable::Lookup(uint64_t nr) const {
  return nr < kSyscallCount ? entries_[nr] : syscall_internal::kNoEntry;
}

// Whether a call that failed with EINTR is restarted, given whether a signal
// handler ran and whether it had SA_RESTART (see syscall_list.h).
constexpr bool RestartAfterSignal(Restart r, bool handler_ran, bool sa_restart) {
  switch (r) {
    case Restart::kSys:
      return !handler_ran || sa_restart;
    case Restart::kNoHand:
    case Restart::kBlock:
      return !handler_ran;
    case Restart::kNoIntr:
      return true;
    case Restart::kNever:
      return false;
  }
  return false;
}

// Each family registers its handlers (one per file under kernel/syscalls/).
void RegisterProcessSyscalls(SyscallTable& t);  // process.cc: clone, fork, execve, exit, wait, ids
void RegisterMemorySyscalls(SyscallTable& t);   // memory.cc: brk, mmap, munmap, mprotect, mremap
void RegisterSignalSyscalls(SyscallTable& t);   // signal.cc
void RegisterFutexSyscalls(SyscallTable& t);    // futex.cc
void RegisterTimeSyscalls(SyscallTable& t);     // time.cc
void RegisterInfoSyscalls(SyscallTable& t);     // info.cc: uname, sysinfo, getrandom, prlimit64
// sched.cc: scheduling policies and priorities, nice values, I/O priorities
void RegisterSchedSyscalls(SyscallTable& t);
void RegisterFileSyscalls(SyscallTable& t);        // file_*.cc: fds, read/write, paths, stat, dirs
void RegisterPollSyscalls(SyscallTable& t);        // poll.cc: poll, ppoll, pselect6
void RegisterSysvSemSyscalls(SyscallTable& t);     // sysv_sem.cc: semget, semop, semctl
void RegisterSysvShmSyscalls(SyscallTable& t);     // sysv_shm.cc: shmget, shmat, shmdt, shmctl
void RegisterSysvMsgSyscalls(SyscallTable& t);     // sysv_msg.cc: msgget, msgsnd, msgrcv, msgctl
void RegisterMembarrierSyscalls(SyscallTable& t);  // membarrier.cc
// mqueue.cc: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify,
// mq_getsetattr (and the mqueue file-system type)
void RegisterMqueueSyscalls(SyscallTable& t);

// execve's body after the path was copied in (process.cc): copies argv and
// envp and runs Exec. Shared with execveat (file_path.cc).
SyscallResult DoExecve(Thread& self, std::string_view path, ostd::vm::UserInPtr<uint64_t> argv,
                       ostd::vm::UserInPtr<uint64_t> envp);
// kernel/module/module_syscalls.cc: init_module, finit_module, delete_module
void RegisterModuleSyscalls(SyscallTable& t);
// kernel/tracing/perf_event.cc: perf_event_open (the kprobe PMU)
void RegisterPerfEventSyscalls(SyscallTable& t);

// Registers every family. Called once at boot, before the first user thread.
void InitSyscalls();
namespace syscall_internal {
// The table itself: filled by InitSyscalls, read through Syscalls().
extern SyscallTable table;
}  // namespace syscall_internal

// The table InitSyscalls filled. Inline: every system call reads it.
inline const SyscallTable& Syscalls() { return syscall_internal::table; }

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_SYSCALL_H_
