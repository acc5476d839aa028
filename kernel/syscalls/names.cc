// Linux x86_64 system-call names by number, from the one list (syscall_list.h).
#include "kernel/syscalls/names.h"

#include "kernel/syscalls/syscall_spec.h"

namespace kernel {

std::string_view SyscallName(uint64_t nr) {
  std::string_view name = SpecOf(nr).name;
  return name.empty() ? std::string_view("unknown") : name;
}

}  // namespace kernel
