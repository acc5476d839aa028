// The console tty (/dev/console, /dev/tty): serial input through
// ostd::ConsoleRead with a line discipline (line_discipline.h), output through
// ostd::ConsoleWriteRaw (the line discipline does ONLCR), termios and job-control ioctls.
//
// Input arrives by interrupt once StartConsoleInterrupts() succeeds: ostd
// schedules a task that moves it into the line discipline (so ^C reaches the
// foreground process group through the signal hook even while nobody reads)
// and wakes readers and pollers. Without that (no I/O APIC), input is pulled
// when someone reads or polls the tty and whenever PumpConsoleInput() is
// called, e.g. from a periodic kernel task, and readers poll.
#ifndef KERNEL_FS_TTY_H_
#define KERNEL_FS_TTY_H_

#include <cstdint>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"

namespace kernel::fs {

// Sends `sig` to process group `pgid` (0: no foreground group set). Installed
// by the process layer; called without tty locks held, in task context.
using TtySignalHook = void (*)(int pgid, int sig);
void SetTtySignalHook(TtySignalHook hook);

// The console tty as an open file.
ostd::Result<RefPtr<File>> OpenConsoleTty(const RefPtr<Inode>& inode, uint32_t flags);

// Moves waiting console bytes into the line discipline now.
void PumpConsoleInput();

// Asks ostd for console input by interrupt (ostd/io/console_input.h), with
// PumpConsoleInput as the work. ENODEV: no interrupt for the console (keep
// polling); EBUSY: already started. Task context.
ostd::Status StartConsoleInterrupts();

// The foreground process group (TIOCGPGRP/TIOCSPGRP), for the process layer.
int TtyForegroundPgid();
void SetTtyForegroundPgid(int pgid);

// ioctl numbers.
inline constexpr uint32_t kTcGets = 0x5401, kTcSets = 0x5402, kTcSetsW = 0x5403, kTcSetsF = 0x5404,
                          kTiocSctty = 0x540E, kTiocGpgrp = 0x540F, kTiocSpgrp = 0x5410,
                          kTiocGwinsz = 0x5413, kTiocSwinsz = 0x5414, kFionread = 0x541B,
                          kTiocNotty = 0x5422;

}  // namespace kernel::fs

#endif  // KERNEL_FS_TTY_H_
