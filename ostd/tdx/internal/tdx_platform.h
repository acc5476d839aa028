// The platform seam in a TDX guest: port I/O, MSRs and hlt as TDVMCALLs
// (what the #VE they would raise ends up doing, without the exception), the
// TSC frequency from cpuid 0x15/0x16 (a TD has no PIT or HPET), x2APIC only.
// cpuid stays the instruction, passed in as `cpuid`: the TDX module answers
// most leaves itself with values the host cannot forge and raises #VE for
// the rest (EmulateVe forwards those). Pure over TdxGuest; host-tested.
// Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_TDX_PLATFORM_H_
#define OSTD_TDX_INTERNAL_TDX_PLATFORM_H_

#include "ostd/platform/internal/platform.h"
#include "ostd/tdx/internal/tdcall.h"

namespace ostd::tdx {

class TdxPlatform final : public platform::Platform {
 public:
  // What the platform needs besides TDVMCALLs (the instructions in a
  // kernel, fakes in tests).
  struct Hooks {
    // The cpuid instruction.
    CpuidRegs (*cpuid)(uint32_t leaf, uint32_t subleaf) = nullptr;
    // sti (SafeHalt returns with interrupts enabled).
    void (*enable_interrupts)() = nullptr;
    // Called when the host refuses an operation that cannot fail natively (a
    // port access, hlt); the caller then sees all-ones reads, as from an
    // absent device. A kernel logs it. May be null.
    void (*refused)(const char* what) = nullptr;
    // The x2APIC registers the CPU virtualizes for the TD (rdmsr and wrmsr
    // that raise no #VE): every one but ID, SVR and ICR.
    uint64_t (*apic_read)(uint32_t msr) = nullptr;
    void (*apic_write)(uint32_t msr, uint64_t value) = nullptr;
  };

  // True for the x2APIC registers whose accesses go to the host (the GHCI's
  // list: ID, SVR and ICR); the CPU virtualizes the others.
  static bool HostX2apicRegister(uint32_t msr);

  // `hooks.cpuid`, `hooks.enable_interrupts`, `hooks.apic_read` and
  // `hooks.apic_write` must not be null.
  TdxPlatform(TdxGuest& guest, const Hooks& hooks) : guest_(guest), hooks_(hooks) {}

  const char* name() const override { return "tdx"; }
  uint32_t PortIn(uint16_t port, uint8_t size) override;
  void PortOut(uint16_t port, uint8_t size, uint32_t value) override;
  Result<uint64_t> ReadMsr(uint32_t msr) override;
  Status WriteMsr(uint32_t msr, uint64_t value) override;
  CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf) override;
  // TDVMCALL HLT with "interrupts not blocked" (called with IF = 0, so no
  // interrupt is lost before the call): the host resumes the vCPU once one
  // is pending; then interrupts are enabled and it is taken.
  void SafeHalt() override;
  [[noreturn]] void Stop() override;
  Result<uint64_t> TscHz() override;
  bool HasXapicMmio() const override { return false; }
  // HostX2apicRegister: a TDVMCALL; otherwise the CPU's virtualized APIC
  // (hooks.apic_read/apic_write).
  uint64_t ReadX2apic(uint32_t msr) override;
  void WriteX2apic(uint32_t msr, uint64_t value) override;

 private:
  void Refused(const char* what) {
    if (hooks_.refused != nullptr) hooks_.refused(what);
  }

  TdxGuest& guest_;
  Hooks hooks_;
};

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_TDX_PLATFORM_H_
