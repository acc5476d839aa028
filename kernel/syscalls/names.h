// Names of Linux x86_64 system calls.
#ifndef KERNEL_SYSCALLS_NAMES_H_
#define KERNEL_SYSCALLS_NAMES_H_

#include <cstdint>
#include <string_view>

namespace kernel {

// "read" for 0, ..., "unknown" for numbers Linux does not define.
std::string_view SyscallName(uint64_t nr);

}  // namespace kernel

#endif  // KERNEL_SYSCALLS_NAMES_H_
