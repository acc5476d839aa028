// The platform seam: the privileged operations whose implementation differs
// between bare x86 (or an ordinary VM) and a TDX guest, behind one interface.
// NativePlatform (native_platform.h) executes the instructions; TdxPlatform
// (ostd/tdx/internal/tdx_platform.h) asks the host through TDVMCALLs, because in a TD
// port I/O, most MSRs and hlt would each raise a #VE. Internal to the TCB.
#ifndef OSTD_PLATFORM_INTERNAL_PLATFORM_H_
#define OSTD_PLATFORM_INTERNAL_PLATFORM_H_

#include <cstdint>

#include "ostd/result.h"
#include "ostd/tdx/internal/vmcalls.h"

namespace ostd::platform {

using tdx::CpuidRegs;

class Platform {
 public:
  // A short name for logs ("native", "tdx").
  virtual const char* name() const = 0;

  // Port I/O of `size` (1, 2 or 4) bytes. An input the platform cannot
  // complete reads as all ones (what a port without a device returns).
  virtual uint32_t PortIn(uint16_t port, uint8_t size) = 0;
  virtual void PortOut(uint16_t port, uint8_t size, uint32_t value) = 0;
  // rdmsr / wrmsr. EIO when a TD's host refuses the access.
  virtual Result<uint64_t> ReadMsr(uint32_t msr) = 0;
  virtual Status WriteMsr(uint32_t msr, uint64_t value) = 0;
  // cpuid `leaf`, `subleaf`.
  virtual CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf) = 0;
  // Enables interrupts and waits for one, with no window in which an
  // interrupt that arrives is missed (sti; hlt natively).
  virtual void SafeHalt() = 0;
  // Stops this CPU for good: halted with interrupts blocked (in a TD, the
  // HLT TDVMCALL saying so), forever. Call with interrupts off (`cli`
  // raises no #VE).
  [[noreturn]] virtual void Stop() = 0;
  // The TSC frequency if the platform states it (cpuid 0x15/0x16); ENODEV
  // when it must be calibrated against a timer (natively: the PIT). A TD has
  // no PIT or HPET, so there this is the only source.
  virtual Result<uint64_t> TscHz() = 0;
  // False in a TD: only the x2APIC (MSR) interface exists, not the xAPIC page.
  virtual bool HasXapicMmio() const = 0;
  // An x2APIC register, by its MSR (arch::kX2apic*, 0x800-0x8ff). In a TD
  // the CPU virtualizes most of them and the host answers the rest (ID, SVR
  // and ICR, as the GHCI has it); a read the host refuses is 0.
  virtual uint64_t ReadX2apic(uint32_t msr) = 0;
  virtual void WriteX2apic(uint32_t msr, uint64_t value) = 0;

 protected:
  ~Platform() = default;
};

}  // namespace ostd::platform

#endif  // OSTD_PLATFORM_INTERNAL_PLATFORM_H_
