// The TDCALL layer of a TDX guest: the register ABI of the TDX module's guest
// leaves (Intel TDX Module ABI specification) and of TDG.VP.VMCALL (GHCI),
// wrapped as typed calls over one seam, TdcallPort, that executes TDCALL:
// arch_tdcall (arch/x86_64/tdx/tdcall.S) in a real TD, the simulated TDX
// module (tdx_module_sim.h) under `tdx_sim` and in host tests. Internal to the
// TCB: some calls take guest-physical addresses.
#ifndef OSTD_TDX_INTERNAL_TDCALL_H_
#define OSTD_TDX_INTERNAL_TDCALL_H_

#include <cstdint>

#include "ostd/result.h"
#include "ostd/tdx/internal/ve.h"
#include "ostd/tdx/internal/vmcalls.h"

namespace ostd::tdx {

// TDCALL leaves (RAX).
inline constexpr uint64_t kTdgVpVmcall = 0;
inline constexpr uint64_t kTdgVpInfo = 1;
inline constexpr uint64_t kTdgMrRtmrExtend = 2;
inline constexpr uint64_t kTdgVpVeinfoGet = 3;
inline constexpr uint64_t kTdgMrReport = 4;
inline constexpr uint64_t kTdgMemPageAccept = 6;

// TDCALL completion status (RAX on return). Bit 63 marks an error; the low
// 32 bits carry details (e.g. the operand's id), so compare `Class(status)`.
inline constexpr uint64_t kTdxSuccess = 0;
inline constexpr uint64_t kTdxOperandInvalid = 0xC000010000000000;
inline constexpr uint64_t kTdxPageAlreadyAccepted = 0x00000B0A00000000;
inline constexpr uint64_t kTdxPageSizeMismatch = 0xC0000B0B00000000;
// The status without its detail bits.
constexpr uint64_t StatusClass(uint64_t status) { return status & 0xFFFFFFFF00000000; }

// TDG.VP.VMCALL status (R10 on return).
inline constexpr uint64_t kVmcallSuccess = 0;
inline constexpr uint64_t kVmcallRetry = 1;
inline constexpr uint64_t kVmcallInvalidOperand = 0x8000000000000000;

// RCX of TDG.VP.VMCALL: the registers exposed to the host, R10..R15 (bit n
// is register n in x86 encoding order).
inline constexpr uint64_t kVmcallExposeRegs = 0xfc00;

// Page levels of TDG.MEM.PAGE.ACCEPT (RCX bits 2:0).
enum class PageLevel : uint8_t { k4K = 0, k2M = 1 };

// Sizes of TDG.MR.REPORT's buffers (both must be aligned to their size).
inline constexpr uint64_t kTdReportSize = 1024;
inline constexpr uint64_t kReportDataSize = 64;

// The registers TDCALL reads and writes (RAX = leaf in, status out).
struct TdcallRegs {
  uint64_t rax = 0, rcx = 0, rdx = 0, r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0,
           r15 = 0;
};

// Executes TDCALL with `regs` (updated in place) and returns the status (RAX).
class TdcallPort {
 public:
  virtual uint64_t Call(TdcallRegs& regs) = 0;

 protected:
  ~TdcallPort() = default;
};

// What TDG.VP.INFO reports.
struct TdInfo {
  uint8_t gpaw = 0;         // guest physical address width (48 or 52)
  uint64_t attributes = 0;  // TD attributes (bit 0: DEBUG)
  uint32_t num_vcpus = 0;
  uint32_t max_vcpus = 0;
  uint32_t vcpu_index = 0;
  // The shared bit: 1 << (gpaw - 1).
  uint64_t shared_bit() const { return gpaw == 0 ? 0 : uint64_t{1} << (gpaw - 1); }
};

// The typed TDCALLs and TDVMCALLs of one vCPU's TD guest.
class TdxGuest final : public VmCalls {
 public:
  explicit TdxGuest(TdcallPort& port) : port_(port) {}

  // TDG.VP.INFO. EIO if the call fails.
  Result<TdInfo> VpInfo();
  // TDG.VP.VEINFO.GET: the pending #VE. EIO if there is none or the call fails.
  Result<VeInfo> VeInfoGet();
  // TDG.MEM.PAGE.ACCEPT of the page at `gpa` (aligned to its level, private).
  // EEXIST if it is already accepted, EINVAL for a misaligned or
  // out-of-range GPA or a size mismatch, EIO otherwise.
  Status AcceptPage(uint64_t gpa, PageLevel level);
  // TDG.MR.REPORT into the 1024-byte buffer at `report_gpa` over the 64
  // bytes at `data_gpa` (both private and aligned to their size). EINVAL if
  // the module rejects an operand, EIO otherwise.
  Status Report(uint64_t report_gpa, uint64_t data_gpa);
  // TDG.MR.RTMR.EXTEND of RTMR `index` (0..3) with the 48-byte SHA-384
  // digest at `digest_gpa` (64-byte aligned). EINVAL / EIO as Report.
  Status RtmrExtend(uint64_t digest_gpa, uint8_t index);

  // MapGPA: converts [gpa, gpa + size) (4 KiB aligned, without the shared
  // bit) to shared (`shared`) or private, following the host's "retry"
  // answers. `shared_bit` is TdInfo::shared_bit(). EINVAL for a bad range,
  // EIO when the host refuses.
  Status MapGpa(uint64_t gpa, uint64_t size, bool shared, uint64_t shared_bit);
  // ReportFatalError: asks the host to tear the TD down (does not return on
  // a real host; returns EIO if the host refuses).
  Status ReportFatalError(uint64_t error_code);

  // VmCalls: the standard GHCI sub-functions.
  Result<uint32_t> IoIn(uint16_t port, uint8_t size) override;
  Status IoOut(uint16_t port, uint8_t size, uint32_t value) override;
  Result<uint64_t> MmioRead(uint64_t gpa, uint8_t size) override;
  Status MmioWrite(uint64_t gpa, uint8_t size, uint64_t value) override;
  Result<uint64_t> ReadMsr(uint32_t msr) override;
  Status WriteMsr(uint32_t msr, uint64_t value) override;
  Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) override;
  Status Halt(bool irqs_blocked) override;

 private:
  // TDG.VP.VMCALL sub-function `fn` with R12..R15; `regs` returns the outputs.
  Status Vmcall(uint64_t fn, uint64_t r12, uint64_t r13, uint64_t r14, uint64_t r15,
                TdcallRegs& regs);

  TdcallPort& port_;
};

// True when cpuid leaf 0 (`leaf0`, for the maximum leaf) and leaf 0x21
// subleaf 0 (`leaf21`) say this is a TD: EBX, EDX, ECX spell "IntelTDX    ".
bool IsTdxGuest(const CpuidRegs& leaf0, const CpuidRegs& leaf21);

// The TSC frequency from cpuid leaf 0x15 (crystal Hz in ECX times EBX / EAX),
// falling back to leaf 0x16's base MHz (EAX) when ECX is 0, as a TD must
// (no PIT or HPET to calibrate against). ENODEV if neither says.
Result<uint64_t> TscHzFromCpuid(const CpuidRegs& leaf15, const CpuidRegs& leaf16);

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_TDCALL_H_
