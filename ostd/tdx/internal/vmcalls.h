// The host-VMM services a TD guest asks for with TDG.VP.VMCALL (GHCI, the
// standard sub-functions), as an interface: TdxGuest (tdcall.h) implements it
// with real TDCALLs, tests implement it with fakes. The #VE emulation
// (ve.h) talks only to this. Internal to the TCB.
#ifndef OSTD_TDX_INTERNAL_VMCALLS_H_
#define OSTD_TDX_INTERNAL_VMCALLS_H_

#include <cstdint>

#include "ostd/result.h"

namespace ostd::tdx {

// The four registers cpuid returns.
struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// GHCI sub-functions (R11 of TDG.VP.VMCALL with R10 = 0): the VMX exit
// reason numbers for emulated instructions, 0x1000x for TDX-specific calls.
inline constexpr uint64_t kVmcallCpuid = 10;
inline constexpr uint64_t kVmcallHlt = 12;
inline constexpr uint64_t kVmcallIo = 30;
inline constexpr uint64_t kVmcallRdmsr = 31;
inline constexpr uint64_t kVmcallWrmsr = 32;
inline constexpr uint64_t kVmcallMmio = 48;
inline constexpr uint64_t kVmcallMapGpa = 0x10001;
inline constexpr uint64_t kVmcallGetQuote = 0x10002;
inline constexpr uint64_t kVmcallReportFatalError = 0x10003;
inline constexpr uint64_t kVmcallSetupEventNotify = 0x10004;

// Every call fails with EIO when the host refuses it (a nonzero VMCALL
// status in R10) or the TDCALL itself fails.
class VmCalls {
 public:
  // Port I/O of `size` (1, 2 or 4) bytes; In returns the value zero-extended.
  virtual Result<uint32_t> IoIn(uint16_t port, uint8_t size) = 0;
  virtual Status IoOut(uint16_t port, uint8_t size, uint32_t value) = 0;
  // MMIO of `size` (1, 2, 4 or 8) bytes at the shared guest-physical address `gpa`.
  virtual Result<uint64_t> MmioRead(uint64_t gpa, uint8_t size) = 0;
  virtual Status MmioWrite(uint64_t gpa, uint8_t size, uint64_t value) = 0;
  // rdmsr / wrmsr of MSR `msr`.
  virtual Result<uint64_t> ReadMsr(uint32_t msr) = 0;
  virtual Status WriteMsr(uint32_t msr, uint64_t value) = 0;
  // cpuid `leaf`, `subleaf` as the host reports it.
  virtual Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) = 0;
  // Halts the vCPU until an interrupt (the host wakes it even when
  // `irqs_blocked`, the guest's IF = 0 at the hlt).
  virtual Status Halt(bool irqs_blocked) = 0;

 protected:
  ~VmCalls() = default;
};

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_VMCALLS_H_
