// Interrupt-driven console input: the kernel hands ostd a work item, and
// ostd runs it (in a task) whenever bytes arrive on the console.
//
//   OSTD_TRY_ASSIGN(ostd::DeferredWork work,
//                   ostd::DeferredWork::Create([] { tty.Pump(); }, "console-input"));
//   if (ostd::Status s = ostd::StartConsoleInput(std::move(work)); !s) {
//     ... s.error() == ENODEV: no interrupt for the console; poll ConsoleRead ...
//   }
//
// ostd routes the console UART's interrupt (ISA IRQ 4, through the I/O APIC
// and the MADT's override for it) to a vector of its own on the boot CPU.
// The handler moves the received bytes into ostd's 4 KiB receive ring (which
// ConsoleRead() empties; ostd/log.h) and schedules the work, which therefore
// runs, in task context, at least once after every burst of input: it must
// take everything ConsoleRead() returns, not one byte. The console stays
// ostd's: the kernel is told that input is there, it gets no access to the
// UART or its interrupt line.
#ifndef OSTD_IO_CONSOLE_INPUT_H_
#define OSTD_IO_CONSOLE_INPUT_H_

#include "ostd/result.h"
#include "ostd/task/deferred_work.h"

namespace ostd {

// Turns on the console's receive interrupt and keeps `work`, scheduling it
// after every interrupt (see the top of this file); input that arrived
// before is reported by the first interrupt. EBUSY: already started (the first work
// item stays); ENODEV: the machine has no I/O APIC serving the console's
// line (the caller polls instead); ENOSPC/ENOMEM: no vector or memory for
// the handler. Task context.
[[nodiscard]] Status StartConsoleInput(DeferredWork work);

}  // namespace ostd

#endif  // OSTD_IO_CONSOLE_INPUT_H_
