#include "kernel/syscalls/syscall.h"
#include "ostd/panic.h"

namespace kernel {

void SyscallTable::Register(int nr, std::string_view name, SyscallFn fn) {
  OSTD_ASSERT(nr >= 0 && nr < kSyscallCount);
  if (entries_[nr].fn != nullptr) {
    OSTD_PANIC("syscall {} registered twice ({} and {})", nr, entries_[nr].name, name);
  }
  entries_[nr] = Entry{name, fn};
}

void SyscallTable::CheckComplete() const {
  for (size_t nr = 0; nr < kSyscallSpecCount; ++nr) {
    bool bound = entries_[nr].fn != nullptr;
    if (bound != kSyscallSpecs[nr].implemented) {
      OSTD_PANIC("syscall {} ({}) is {} in syscall_list.h but {}", nr, kSyscallSpecs[nr].name,
                 kSyscallSpecs[nr].implemented ? "implemented" : "not implemented",
                 bound ? "has a handler" : "has no handler");
    }
  }
  for (size_t nr = kSyscallSpecCount; nr < kSyscallCount; ++nr) {
    OSTD_ASSERT(entries_[nr].fn == nullptr);
  }
}

namespace syscall_internal {

SyscallTable table;

}  // namespace syscall_internal

using syscall_internal::table;

void InitSyscalls() {
  RegisterProcessSyscalls(table);
  RegisterMemorySyscalls(table);
  RegisterSignalSyscalls(table);
  RegisterFutexSyscalls(table);
  RegisterTimeSyscalls(table);
  RegisterInfoSyscalls(table);
  RegisterSchedSyscalls(table);
  RegisterFileSyscalls(table);
  RegisterPollSyscalls(table);
  RegisterSysvSemSyscalls(table);
  RegisterSysvShmSyscalls(table);
  RegisterSysvMsgSyscalls(table);
  RegisterMembarrierSyscalls(table);
  RegisterMqueueSyscalls(table);
  RegisterModuleSyscalls(table);
  RegisterPerfEventSyscalls(table);
  table.CheckComplete();
}

}  // namespace kernel
