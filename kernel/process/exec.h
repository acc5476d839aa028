// execve: replaces the calling thread's program with a static ELF executable
// (or a "#!" script's interpreter), with Linux's stack and auxv layout.
#ifndef KERNEL_PROCESS_EXEC_H_
#define KERNEL_PROCESS_EXEC_H_

#include <span>
#include <string_view>

#include "ostd/result.h"

namespace kernel {

class Thread;

// On success the thread's registers start the new program (the caller
// returns 0 to it). Errors before the point of no return leave the old
// program intact: ENOENT, EACCES, ENOEXEC, E2BIG, ENOMEM, ELOOP (too many
// nested scripts). A failure after it kills the process with SIGSEGV.
ostd::Status Exec(Thread& self, std::string_view path, std::span<const std::string_view> argv,
                  std::span<const std::string_view> envp);

}  // namespace kernel

#endif  // KERNEL_PROCESS_EXEC_H_
