// Kernel panic: for broken invariants only, never for bad input.
//
// Prints "KERNEL PANIC", the message, the registers and a symbolized backtrace
// on the console, then exits QEMU with failure (or halts).
#ifndef OSTD_PANIC_H_
#define OSTD_PANIC_H_

#include <string_view>

#include "ostd/fmt.h"

namespace ostd {

namespace panic_internal {
FormatSink& BeginPanic(const char* file, int line);
[[noreturn]] void EndPanic();
}  // namespace panic_internal

template <typename... Args>
[[noreturn]] void PanicAt(const char* file, int line, std::string_view fmt, const Args&... args) {
  FormatSink& sink = panic_internal::BeginPanic(file, line);
  FormatTo(sink, fmt, args...);
  panic_internal::EndPanic();
}

}  // namespace ostd

#define OSTD_PANIC(...) ::ostd::PanicAt(__FILE__, __LINE__, __VA_ARGS__)

// Panics with the condition's text if `cond` is false. Always checked.
#define OSTD_ASSERT(cond)                                                 \
  do {                                                                    \
    if (!(cond)) [[unlikely]]                                             \
      ::ostd::PanicAt(__FILE__, __LINE__, "assertion failed: {}", #cond); \
  } while (0)

#endif  // OSTD_PANIC_H_
