#include "kernel/syscalls/syscall.h"
#include "ostd/panic.h"

namespace kernel {

void SyscallTable::Register(int nr, const char* name, SyscallFn fn) {
  OSTD_ASSERT(nr >= 0 && nr < kSyscallCount);
  if (entries_[nr].fn != nullptr) {
    OSTD_PANIC("syscall {} registered twice ({} and {})", nr, entries_[nr].name, name);
  }
  entries_[nr] = Entry{name, fn};
}

const SyscallTable::Entry& SyscallTable::Lookup(uint64_t nr) const {
  static const Entry kNone{};
  return nr < kSyscallCount ? entries_[nr] : kNone;
}

namespace {

SyscallTable table;

}  // namespace

void InitSyscalls() {
  RegisterProcessSyscalls(table);
  RegisterMemorySyscalls(table);
  RegisterSignalSyscalls(table);
  RegisterFutexSyscalls(table);
  RegisterTimeSyscalls(table);
  RegisterInfoSyscalls(table);
  RegisterFileSyscalls(table);
  RegisterPollSyscalls(table);
  RegisterSysvSemSyscalls(table);
}

const SyscallTable& Syscalls() { return table; }

}  // namespace kernel
