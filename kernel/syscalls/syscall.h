// The system-call layer's shape: every handler has the signature SyscallFn and
// is registered by number in the SyscallTable by its family's Register*
// function (one family per file in kernel/syscalls/).
//
//   SyscallResult SysGetpid(Thread& self, const SyscallArgs&) { return self.process().pid(); }
//   void RegisterProcessSyscalls(SyscallTable& t) { t.Register(39, "getpid", SysGetpid); }
//
// A handler returns the value user space sees in rax, or an ostd::Errno that
// the dispatcher turns into -errno. User pointers are taken as
// ostd::vm::UserPtr<T>(args[i]) and copied only through VmReader/VmWriter.
#ifndef KERNEL_SYSCALLS_SYSCALL_H_
#define KERNEL_SYSCALLS_SYSCALL_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "ostd/result.h"

namespace kernel {

class Thread;

// The six argument registers (rdi, rsi, rdx, r10, r8, r9), in order.
struct SyscallArgs {
  std::array<uint64_t, 6> regs{};
  uint64_t operator[](size_t i) const { return regs[i]; }
};

using SyscallResult = ostd::Result<uint64_t>;
using SyscallFn = SyscallResult (*)(Thread& self, const SyscallArgs& args);

// Linux x86_64 numbers are below this.
inline constexpr int kSyscallCount = 512;

class SyscallTable {
 public:
  struct Entry {
    const char* name = nullptr;
    SyscallFn fn = nullptr;
  };

  // Registers `fn` for `nr`; registering a number twice is a kernel bug (panic).
  void Register(int nr, const char* name, SyscallFn fn);
  // The entry for `nr`, or an empty one.
  const Entry& Lookup(uint64_t nr) const;

 private:
  std::array<Entry, kSyscallCount> entries_{};
};

// Each family registers its handlers (one per file under kernel/syscalls/).
void RegisterProcessSyscalls(SyscallTable& t);  // process.cc: clone, fork, execve, exit, wait, ids
void RegisterMemorySyscalls(SyscallTable& t);   // memory.cc: brk, mmap, munmap, mprotect, mremap
void RegisterSignalSyscalls(SyscallTable& t);   // signal.cc
void RegisterFutexSyscalls(SyscallTable& t);    // futex.cc
void RegisterTimeSyscalls(SyscallTable& t);     // time.cc
void RegisterInfoSyscalls(SyscallTable& t);     // info.cc: uname, sysinfo, getrandom, prlimit64
void RegisterFileSyscalls(SyscallTable& t);     // file_*.cc: fds, read/write, paths, stat, dirs
void RegisterPollSyscalls(SyscallTable& t);     // poll.cc: poll, ppoll, pselect6
void RegisterSysvSemSyscalls(SyscallTable& t);  // sysv_sem.cc: semget, semop, semctl

// Registers every family. Called once at boot, before the first user thread.
void InitSyscalls();
// The table InitSyscalls filled.
const SyscallTable& Syscalls();

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_SYSCALL_H_
