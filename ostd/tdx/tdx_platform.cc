#include "ostd/tdx/internal/tdx_platform.h"

#include "ostd/internal/noprobe.h"

// The console, the idle loop and the #VE path call the platform seam: a
// breakpoint here could recurse through a probe handler's own logging.
OSTD_NOPROBE_FILE

namespace ostd::tdx {

uint32_t TdxPlatform::PortIn(uint16_t port, uint8_t size) {
  Result<uint32_t> v = guest_.IoIn(port, size);
  if (!v.has_value()) {
    Refused("port input");
    return 0xffffffff;
  }
  return *v;
}

void TdxPlatform::PortOut(uint16_t port, uint8_t size, uint32_t value) {
  if (!guest_.IoOut(port, size, value).has_value()) Refused("port output");
}

Result<uint64_t> TdxPlatform::ReadMsr(uint32_t msr) { return guest_.ReadMsr(msr); }

Status TdxPlatform::WriteMsr(uint32_t msr, uint64_t value) { return guest_.WriteMsr(msr, value); }

bool TdxPlatform::HostX2apicRegister(uint32_t msr) {
  // The x2APIC MSRs of ID, SVR and ICR (arch/x86_64/apic.h).
  return msr == 0x802 || msr == 0x80f || msr == 0x830;
}

uint64_t TdxPlatform::ReadX2apic(uint32_t msr) {
  if (!HostX2apicRegister(msr)) return hooks_.apic_read(msr);
  Result<uint64_t> v = guest_.ReadMsr(msr);
  if (!v.has_value()) {
    Refused("x2APIC read");
    return 0;
  }
  return *v;
}

void TdxPlatform::WriteX2apic(uint32_t msr, uint64_t value) {
  if (!HostX2apicRegister(msr)) {
    hooks_.apic_write(msr, value);
  } else if (!guest_.WriteMsr(msr, value).has_value()) {
    Refused("x2APIC write");
  }
}

CpuidRegs TdxPlatform::Cpuid(uint32_t leaf, uint32_t subleaf) {
  return hooks_.cpuid(leaf, subleaf);
}

void TdxPlatform::SafeHalt() {
  if (!guest_.Halt(false).has_value()) Refused("hlt");
  hooks_.enable_interrupts();
}

void TdxPlatform::Stop() {
  // Interrupts stay off: nothing wakes the vCPU for good. A host that
  // returns from the halt anyway is asked again.
  for (;;) static_cast<void>(guest_.Halt(true));
}

Result<uint64_t> TdxPlatform::TscHz() {
  uint32_t max = hooks_.cpuid(0, 0).eax;
  if (max < 0x15) return Err(Errno::kENODEV);
  return TscHzFromCpuid(hooks_.cpuid(0x15, 0), max >= 0x16 ? hooks_.cpuid(0x16, 0) : CpuidRegs{});
}

}  // namespace ostd::tdx
