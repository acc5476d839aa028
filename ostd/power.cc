#include "ostd/power.h"

#include "arch/x86_64/cpu.h"
#include "ostd/platform/internal/current.h"

namespace ostd::power {

void Exit(ExitCode code) {
  // isa-debug-exit: QEMU exits with (value << 1) | 1, so 0x10 -> 33 and 0x11 -> 35.
  platform::Current().PortOut(0xf4, 4, code == ExitCode::kSuccess ? 0x10 : 0x11);
  // Not under QEMU (or no debug-exit device): stop here.
  arch::DisableInterrupts();
  platform::Current().Stop();
}

void Reset() {
  // Reset control (0xcf9): bit 1 selects a hard reset, setting bit 2 starts it.
  platform::Platform& p = platform::Current();
  p.PortOut(0xcf9, 1, 0x02);
  p.PortOut(0xcf9, 1, 0x06);
  // The 8042's output port bit 0 is the CPU reset line; 0xfe pulses it.
  p.PortOut(0x64, 1, 0xfe);
  arch::DisableInterrupts();
  p.Stop();
}

}  // namespace ostd::power
