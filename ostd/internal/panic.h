// Panic entry points for trap handlers. Internal to the TCB.
#ifndef OSTD_INTERNAL_PANIC_H_
#define OSTD_INTERNAL_PANIC_H_

#include <cstdint>

#include "arch/x86_64/trap_frame.h"
#include "ostd/fmt.h"

namespace ostd::internal {

// Prints "#n 0x... symbol+0x.." lines walking frame pointers from `rbp`.
void PrintBacktrace(FormatSink& sink, uint64_t rip, uint64_t rbp);

// Panics with a message about an unhandled trap, printing `frame`'s registers
// and the backtrace from where the trap happened.
[[noreturn]] void PanicWithFrame(const arch::TrapFrame& frame, std::string_view what);

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_PANIC_H_
