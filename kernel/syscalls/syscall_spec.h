// The system-call list (syscall_list.h) as data: one SyscallSpec per Linux
// x86_64 number, and the numbers by name (sysno::read == 0). Pure constexpr
// data, used by the dispatch table, the restart rule, the name table and host
// tests; a fuzzer reads the argument kinds from here.
#ifndef KERNEL_SYSCALLS_SYSCALL_SPEC_H_
#define KERNEL_SYSCALLS_SYSCALL_SPEC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/syscalls/syscall_list.h"

namespace kernel {

// What a syscall argument register holds (see syscall_list.h).
enum class ArgKind : uint8_t {
  kNone,  // no such argument
  kFd,
  kDirFd,
  kInt,
  kUint,
  kLong,
  kUlong,
  kFlags,
  kMode,
  kLen,
  kOff,
  kPid,
  kUid,
  kSig,
  kClock,
  kAddr,
  kRaw,
  kPath,
  kString,
  kIn,
  kOut,
  kInOut,
};

// How a signal that interrupts the call's wait ends it (see syscall_list.h).
enum class Restart : uint8_t {
  kNever,   // EINTR
  kSys,     // ERESTARTSYS
  kNoHand,  // ERESTARTNOHAND
  kBlock,   // ERESTART_RESTARTBLOCK
  // ERESTARTNOINTR: restarted whether or not a handler ran. No call has it
  // as its kind; a handler asks for it for one wait (Thread::restart_no_intr).
  kNoIntr,
};

inline constexpr size_t kMaxSyscallArgs = 6;

struct SyscallSpec {
  std::string_view name;  // empty: no Linux call has this number
  bool implemented = false;
  Restart restart = Restart::kNever;
  uint8_t argc = 0;
  std::array<ArgKind, kMaxSyscallArgs> args{};
};

// One past the highest Linux x86_64 number in the list.
inline constexpr size_t kSyscallSpecCount = 451;

namespace sysspec {

// The short names syscall_list.h uses.
inline constexpr ArgKind Fd = ArgKind::kFd, DirFd = ArgKind::kDirFd, Int = ArgKind::kInt,
                         Uint = ArgKind::kUint, Long = ArgKind::kLong, Ulong = ArgKind::kUlong,
                         Flags = ArgKind::kFlags, Mode = ArgKind::kMode, Len = ArgKind::kLen,
                         Off = ArgKind::kOff, Pid = ArgKind::kPid, Uid = ArgKind::kUid,
                         Sig = ArgKind::kSig, Clock = ArgKind::kClock, Addr = ArgKind::kAddr,
                         Raw = ArgKind::kRaw, Path = ArgKind::kPath, String = ArgKind::kString,
                         In = ArgKind::kIn, Out = ArgKind::kOut, InOut = ArgKind::kInOut;
inline constexpr Restart Never = Restart::kNever, Sys = Restart::kSys, NoHand = Restart::kNoHand,
                         Block = Restart::kBlock;

template <typename... K>
constexpr SyscallSpec Implemented(std::string_view name, Restart restart, K... kinds) {
  static_assert(sizeof...(K) <= kMaxSyscallArgs);
  return SyscallSpec{name, true, restart, static_cast<uint8_t>(sizeof...(K)), {kinds...}};
}

constexpr std::array<SyscallSpec, kSyscallSpecCount> MakeSpecs() {
  std::array<SyscallSpec, kSyscallSpecCount> specs{};
#define KEEL_SPEC_S(nr, name, restart, ...) \
  specs[nr] = Implemented(#name, restart __VA_OPT__(, ) __VA_ARGS__);
#define KEEL_SPEC_N(nr, name) specs[nr] = SyscallSpec{#name};
  KEEL_SYSCALL_LIST(KEEL_SPEC_S, KEEL_SPEC_N)
#undef KEEL_SPEC_S
#undef KEEL_SPEC_N
  return specs;
}

}  // namespace sysspec

// kSyscallSpecs[nr]: the list, indexed by number.
inline constexpr std::array<SyscallSpec, kSyscallSpecCount> kSyscallSpecs = sysspec::MakeSpecs();

inline constexpr SyscallSpec kNoSyscallSpec{};

// The spec of `nr`; an empty one (no name) past the list.
constexpr const SyscallSpec& SpecOf(uint64_t nr) {
  return nr < kSyscallSpecCount ? kSyscallSpecs[nr] : kNoSyscallSpec;
}

// The numbers by name: sysno::read == 0, sysno::write == 1, ...
namespace sysno {
#define KEEL_SYSNO_S(nr, name, ...) inline constexpr int name = nr;
#define KEEL_SYSNO_N(nr, name) inline constexpr int name = nr;
KEEL_SYSCALL_LIST(KEEL_SYSNO_S, KEEL_SYSNO_N)
#undef KEEL_SYSNO_S
#undef KEEL_SYSNO_N
}  // namespace sysno

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_SYSCALL_SPEC_H_
