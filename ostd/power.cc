#include "ostd/power.h"

#include "arch/x86_64/cpu.h"
#include "ostd/platform/internal/current.h"

namespace ostd::power {

void Exit(ExitCode code) {
  // isa-debug-exit: QEMU exits with (value << 1) | 1, so 0x10 -> 33 and 0x11 -> 35.
  platform::Current().PortOut(0xf4, 4, code == ExitCode::kSuccess ? 0x10 : 0x11);
  // Not under QEMU (or no debug-exit device): stop here.
  for (;;) {
    arch::DisableInterrupts();
    arch::Halt();
  }
}

}  // namespace ostd::power
