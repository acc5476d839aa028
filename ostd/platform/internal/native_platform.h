// The platform seam on bare x86 and ordinary VMs: each operation is the
// instruction itself (arch/x86_64/cpu.h). Kernel only. Internal to the TCB.
#ifndef OSTD_PLATFORM_INTERNAL_NATIVE_PLATFORM_H_
#define OSTD_PLATFORM_INTERNAL_NATIVE_PLATFORM_H_

#include "ostd/platform/internal/platform.h"

namespace ostd::platform {

class NativePlatform final : public Platform {
 public:
  const char* name() const override { return "native"; }
  uint32_t PortIn(uint16_t port, uint8_t size) override;
  void PortOut(uint16_t port, uint8_t size, uint32_t value) override;
  Result<uint64_t> ReadMsr(uint32_t msr) override;
  Status WriteMsr(uint32_t msr, uint64_t value) override;
  CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf) override;
  void SafeHalt() override;
  [[noreturn]] void Stop() override;
  Result<uint64_t> TscHz() override;
  bool HasXapicMmio() const override { return true; }
  uint64_t ReadX2apic(uint32_t msr) override;
  void WriteX2apic(uint32_t msr, uint64_t value) override;
};

}  // namespace ostd::platform

#endif  // OSTD_PLATFORM_INTERNAL_NATIVE_PLATFORM_H_
