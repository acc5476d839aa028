#include "ostd/platform/internal/native_platform.h"

#include "arch/x86_64/cpu.h"
#include "ostd/internal/noprobe.h"
#include "ostd/tdx/internal/tdcall.h"

// The console, the idle loop and the #VE path call the platform seam: a
// breakpoint here could recurse through a probe handler's own logging.
OSTD_NOPROBE_FILE

namespace ostd::platform {

// SAFETY (whole file): each method is the instruction its name says, with the
// contract of the Platform method it implements (the caller owns the port or
// MSR); arch/x86_64/cpu.h holds the asm.

uint32_t NativePlatform::PortIn(uint16_t port, uint8_t size) {
  switch (size) {
    case 1:
      return arch::Inb(port);
    case 2:
      return arch::Inw(port);
    case 4:
      return arch::Inl(port);
    default:
      return 0xffffffff;
  }
}

void NativePlatform::PortOut(uint16_t port, uint8_t size, uint32_t value) {
  switch (size) {
    case 1:
      arch::Outb(port, static_cast<uint8_t>(value));
      break;
    case 2:
      arch::Outw(port, static_cast<uint16_t>(value));
      break;
    case 4:
      arch::Outl(port, value);
      break;
    default:
      break;
  }
}

Result<uint64_t> NativePlatform::ReadMsr(uint32_t msr) { return arch::ReadMsr(msr); }

Status NativePlatform::WriteMsr(uint32_t msr, uint64_t value) {
  arch::WriteMsr(msr, value);
  return {};
}

uint64_t NativePlatform::ReadX2apic(uint32_t msr) { return arch::ReadMsr(msr); }

void NativePlatform::WriteX2apic(uint32_t msr, uint64_t value) { arch::WriteMsr(msr, value); }

CpuidRegs NativePlatform::Cpuid(uint32_t leaf, uint32_t subleaf) {
  arch::CpuidResult r = arch::Cpuid(leaf, subleaf);
  return CpuidRegs{r.eax, r.ebx, r.ecx, r.edx};
}

void NativePlatform::SafeHalt() { arch::EnableInterruptsAndHalt(); }

void NativePlatform::Stop() {
  for (;;) {
    arch::DisableInterrupts();
    arch::Halt();
  }
}

Result<uint64_t> NativePlatform::TscHz() {
  uint32_t max = arch::Cpuid(0).eax;
  if (max < 0x15) return Err(Errno::kENODEV);
  CpuidRegs l15 = Cpuid(0x15, 0);
  CpuidRegs l16 = max >= 0x16 ? Cpuid(0x16, 0) : CpuidRegs{};
  return tdx::TscHzFromCpuid(l15, l16);
}

}  // namespace ostd::platform
