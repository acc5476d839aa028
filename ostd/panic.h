// Kernel panic: for broken invariants only, never for bad input.
//
// Prints "KERNEL PANIC", the message, the file and line, a few registers (all
// of them for a CPU fault) and a symbolized backtrace on the console, then
// exits QEMU with failure (or halts; power::Exit).
#ifndef OSTD_PANIC_H_
#define OSTD_PANIC_H_

#include <string_view>

#include "ostd/fmt.h"

namespace ostd {

namespace panic_internal {
FormatSink& BeginPanic(std::string_view file, int line);
[[noreturn]] void EndPanic();
}  // namespace panic_internal

// Panics with the message FormatTo(fmt, args...) and the location `file`:`line`
// (OSTD_PANIC passes __FILE__ and __LINE__). Any context, interrupts enabled or not: disables
// interrupts on this CPU, writes to the console without waiting for a lock another CPU may hold,
// and never returns. A panic while panicking prints one line and exits at once.
// Other CPUs are not stopped.
template <typename... Args>
[[noreturn]] void PanicAt(std::string_view file, int line, std::string_view fmt,
                          const Args&... args) {
  FormatSink& sink = panic_internal::BeginPanic(file, line);
  FormatTo(sink, fmt, args...);
  panic_internal::EndPanic();
}

}  // namespace ostd

// Panics with a FormatTo-style message at the caller's file and line, for
// example OSTD_PANIC("bad frame {:#x}", paddr).
#define OSTD_PANIC(...) ::ostd::PanicAt(__FILE__, __LINE__, __VA_ARGS__)

// Panics with the condition's text if `cond` is false. Always checked.
#define OSTD_ASSERT(cond)                                                 \
  do {                                                                    \
    if (!(cond)) [[unlikely]]                                             \
      ::ostd::PanicAt(__FILE__, __LINE__, "assertion failed: {}", #cond); \
  } while (0)

#endif  // OSTD_PANIC_H_
