// Terminals: a line discipline (line_discipline.h), termios and job-control
// ioctls over a port that moves bytes. The console tty (/dev/console,
// /dev/tty) has the serial port: input through ostd::ConsoleRead, output
// through ostd::ConsoleWriteRaw (the line discipline does ONLCR). /dev/hvc0
// (229,0) has the port a driver registers (a virtio-console).
//
// Input arrives by interrupt once StartConsoleInterrupts() succeeds: ostd
// schedules a task that moves it into the line discipline (so ^C reaches the
// foreground process group through the signal hook even while nobody reads)
// and wakes readers and pollers. Without that (no I/O APIC), input is pulled
// when someone reads or polls the tty and whenever PumpConsoleInput() is
// called, e.g. from a periodic kernel task, and readers poll.
#ifndef KERNEL_FS_TTY_H_
#define KERNEL_FS_TTY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "ostd/result.h"
#include "ostd/util/box.h"

namespace kernel::fs {

// Sends `sig` to process group `pgid` (0: no foreground group set). Installed
// by the process layer; called without tty locks held, in task context.
using TtySignalHook = void (*)(int pgid, int sig);
void SetTtySignalHook(TtySignalHook hook);

// Where a tty's bytes come from and go to.
class TtyPort {
 public:
  virtual ~TtyPort() = default;
  // Moves input that has arrived into `dst` without waiting; its length.
  virtual size_t PullInput(std::span<uint8_t> dst) = 0;
  // Sends `bytes` out; may block (task context).
  virtual void PushOutput(std::string_view bytes) = 0;
};

// The console tty as an open file.
ostd::Result<RefPtr<File>> OpenConsoleTty(const RefPtr<Inode>& inode, uint32_t flags);

// Moves waiting console bytes into the line discipline now.
void PumpConsoleInput();

// Asks ostd for console input by interrupt (ostd/io/console_input.h), with
// PumpConsoleInput as the work. ENODEV: no interrupt for the console (keep
// polling); EBUSY: already started. Task context.
ostd::Status StartConsoleInterrupts();

// /dev/hvc0: registers its port for good (EBUSY if one is registered). The
// port's driver runs PumpHvcInput (from a task) when input arrives; readers
// wait for that. Opening /dev/hvc0 without a port is ENODEV.
inline constexpr uint32_t kHvcMajor = 229;
ostd::Status RegisterHvcTty(ostd::Box<TtyPort> port);
bool HvcTtyRegistered();
void PumpHvcInput();
ostd::Result<RefPtr<File>> OpenHvcTty(const RefPtr<Inode>& inode, uint32_t flags);

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
