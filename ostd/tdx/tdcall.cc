#include "ostd/tdx/internal/tdcall.h"

#include "ostd/internal/noprobe.h"

// The #VE path runs inside trap dispatch: a breakpoint here could recurse.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

// The most MapGPA "retry" answers followed for one range before giving up
// (a host that keeps answering retry without progress is refusing).
constexpr int kMaxMapGpaRetries = 64;

Errno ModuleError(uint64_t status) {
  uint64_t c = StatusClass(status);
  if (c == kTdxPageAlreadyAccepted) return Errno::kEEXIST;
  if (c == kTdxOperandInvalid || c == kTdxPageSizeMismatch) return Errno::kEINVAL;
  return Errno::kEIO;
}

}  // namespace

Result<TdInfo> TdxGuest::VpInfo() {
  TdcallRegs r;
  r.rax = kTdgVpInfo;
  if (port_.Call(r) != kTdxSuccess) return Err(Errno::kEIO);
  TdInfo info;
  info.gpaw = static_cast<uint8_t>(r.rcx & 0x3f);
  info.attributes = r.rdx;
  info.num_vcpus = static_cast<uint32_t>(r.r8);
  info.max_vcpus = static_cast<uint32_t>(r.r8 >> 32);
  info.vcpu_index = static_cast<uint32_t>(r.r9);
  return info;
}

Result<VeInfo> TdxGuest::VeInfoGet() {
  TdcallRegs r;
  r.rax = kTdgVpVeinfoGet;
  if (port_.Call(r) != kTdxSuccess) return Err(Errno::kEIO);
  VeInfo ve;
  ve.exit_reason = static_cast<uint32_t>(r.rcx);
  ve.exit_qualification = r.rdx;
  ve.gla = r.r8;
  ve.gpa = r.r9;
  ve.instr_length = static_cast<uint32_t>(r.r10);
  ve.instr_info = static_cast<uint32_t>(r.r10 >> 32);
  return ve;
}

Status TdxGuest::AcceptPage(uint64_t gpa, PageLevel level) {
  TdcallRegs r;
  r.rax = kTdgMemPageAccept;
  r.rcx = gpa | static_cast<uint64_t>(level);
  uint64_t status = port_.Call(r);
  if (status != kTdxSuccess) return Err(ModuleError(status));
  return {};
}

Status TdxGuest::Report(uint64_t report_gpa, uint64_t data_gpa) {
  TdcallRegs r;
  r.rax = kTdgMrReport;
  r.rcx = report_gpa;
  r.rdx = data_gpa;
  r.r8 = 0;  // report subtype
  uint64_t status = port_.Call(r);
  if (status != kTdxSuccess) return Err(ModuleError(status));
  return {};
}

Status TdxGuest::RtmrExtend(uint64_t digest_gpa, uint8_t index) {
  TdcallRegs r;
  r.rax = kTdgMrRtmrExtend;
  r.rcx = digest_gpa;
  r.rdx = index;
  uint64_t status = port_.Call(r);
  if (status != kTdxSuccess) return Err(ModuleError(status));
  return {};
}

Status TdxGuest::Vmcall(uint64_t fn, uint64_t r12, uint64_t r13, uint64_t r14, uint64_t r15,
                        TdcallRegs& regs) {
  regs = TdcallRegs{};
  regs.rax = kTdgVpVmcall;
  regs.rcx = kVmcallExposeRegs;
  regs.r10 = 0;  // standard GHCI sub-function set
  regs.r11 = fn;
  regs.r12 = r12;
  regs.r13 = r13;
  regs.r14 = r14;
  regs.r15 = r15;
  if (port_.Call(regs) != kTdxSuccess) return Err(Errno::kEIO);
  if (regs.r10 != kVmcallSuccess) return Err(Errno::kEIO);
  return {};
}

Status TdxGuest::MapGpa(uint64_t gpa, uint64_t size, bool shared, uint64_t shared_bit) {
  constexpr uint64_t kPage = 4096;
  if (shared_bit == 0 || size == 0 || gpa % kPage != 0 || size % kPage != 0 ||
      (gpa & shared_bit) != 0 || gpa + size < gpa || gpa + size > shared_bit) {
    return Err(Errno::kEINVAL);
  }
  uint64_t start = gpa;
  uint64_t end = gpa + size;
  for (int retries = 0; start < end;) {
    TdcallRegs r;
    r.rax = kTdgVpVmcall;
    r.rcx = kVmcallExposeRegs;
    r.r11 = kVmcallMapGpa;
    r.r12 = start | (shared ? shared_bit : 0);
    r.r13 = end - start;
    if (port_.Call(r) != kTdxSuccess) return Err(Errno::kEIO);
    if (r.r10 == kVmcallSuccess) return {};
    if (r.r10 != kVmcallRetry) return Err(Errno::kEIO);
    // Retry: R11 holds the GPA to resume from (with or without the shared bit).
    uint64_t next = r.r11 & ~shared_bit;
    if (next < start || next > end || next % kPage != 0) return Err(Errno::kEIO);
    if (next == start && ++retries > kMaxMapGpaRetries) return Err(Errno::kEIO);
    if (next != start) retries = 0;
    start = next;
  }
  return {};
}

Status TdxGuest::ReportFatalError(uint64_t error_code) {
  TdcallRegs r;
  return Vmcall(kVmcallReportFatalError, error_code, 0, 0, 0, r);
}

Result<uint32_t> TdxGuest::IoIn(uint16_t port, uint8_t size) {
  if (size != 1 && size != 2 && size != 4) return Err(Errno::kEINVAL);
  TdcallRegs r;
  OSTD_TRY(Vmcall(kVmcallIo, size, 0, port, 0, r));
  uint64_t mask = size == 4 ? 0xffffffff : (uint64_t{1} << (8 * size)) - 1;
  return static_cast<uint32_t>(r.r11 & mask);
}

Status TdxGuest::IoOut(uint16_t port, uint8_t size, uint32_t value) {
  if (size != 1 && size != 2 && size != 4) return Err(Errno::kEINVAL);
  TdcallRegs r;
  return Vmcall(kVmcallIo, size, 1, port, value, r);
}

Result<uint64_t> TdxGuest::MmioRead(uint64_t gpa, uint8_t size) {
  if (size != 1 && size != 2 && size != 4 && size != 8) return Err(Errno::kEINVAL);
  TdcallRegs r;
  OSTD_TRY(Vmcall(kVmcallMmio, size, 0, gpa, 0, r));
  return size == 8 ? r.r11 : r.r11 & ((uint64_t{1} << (8 * size)) - 1);
}

Status TdxGuest::MmioWrite(uint64_t gpa, uint8_t size, uint64_t value) {
  if (size != 1 && size != 2 && size != 4 && size != 8) return Err(Errno::kEINVAL);
  TdcallRegs r;
  return Vmcall(kVmcallMmio, size, 1, gpa, value, r);
}

Result<uint64_t> TdxGuest::ReadMsr(uint32_t msr) {
  TdcallRegs r;
  OSTD_TRY(Vmcall(kVmcallRdmsr, msr, 0, 0, 0, r));
  return r.r11;
}

Status TdxGuest::WriteMsr(uint32_t msr, uint64_t value) {
  TdcallRegs r;
  return Vmcall(kVmcallWrmsr, msr, value, 0, 0, r);
}

Result<CpuidRegs> TdxGuest::Cpuid(uint32_t leaf, uint32_t subleaf) {
  TdcallRegs r;
  OSTD_TRY(Vmcall(kVmcallCpuid, leaf, subleaf, 0, 0, r));
  return CpuidRegs{static_cast<uint32_t>(r.r12), static_cast<uint32_t>(r.r13),
                   static_cast<uint32_t>(r.r14), static_cast<uint32_t>(r.r15)};
}

Status TdxGuest::Halt(bool irqs_blocked) {
  TdcallRegs r;
  return Vmcall(kVmcallHlt, irqs_blocked ? 1 : 0, 0, 0, 0, r);
}

bool IsTdxGuest(const CpuidRegs& leaf0, const CpuidRegs& leaf21) {
  // "Inte" "lTDX" "    " little-endian in EBX, EDX, ECX.
  return leaf0.eax >= 0x21 && leaf21.ebx == 0x65746e49 && leaf21.edx == 0x5844546c &&
         leaf21.ecx == 0x20202020;
}

Result<uint64_t> TscHzFromCpuid(const CpuidRegs& leaf15, const CpuidRegs& leaf16) {
  if (leaf15.eax != 0 && leaf15.ebx != 0 && leaf15.ecx != 0) {
    return uint64_t{leaf15.ecx} * leaf15.ebx / leaf15.eax;
  }
  if ((leaf16.eax & 0xffff) != 0) return uint64_t{leaf16.eax & 0xffff} * 1000000;
  return Err(Errno::kENODEV);
}

}  // namespace ostd::tdx
