// Decoding and emulating a virtualization exception (#VE, vector 20) of a TDX
// guest: pure logic over the information TDG.VP.VEINFO.GET returns, the
// bytes of the faulting instruction and a register file, host-tested with
// synthesized #VE information (ve_test.cc). The trap handler only fetches
// the information and the bytes, calls EmulateVe and, on an error, reports
// a fatal error to the host (the TD cannot go on). Internal to the TCB.
//
// Emulated: cpuid, hlt, in/out (imm8 and dx forms; 1, 2 or 4 bytes; not the
// string forms), rdmsr/wrmsr, and MMIO to a shared GPA through mov r/m,r;
// mov r,r/m (8/16/32/64-bit, AH..BH included); mov r/m,imm; movzx and movsx
// (from 8 or 16 bits into 16/32/64-bit registers). Everything else (movs,
// moffs forms, read-modify-write instructions, lock/rep prefixes, an MMIO
// #VE on a private GPA or across a page, an unknown exit reason) is an error.
#ifndef OSTD_TDX_INTERNAL_VE_H_
#define OSTD_TDX_INTERNAL_VE_H_

#include <cstdint>
#include <span>

#include "ostd/result.h"
#include "ostd/tdx/internal/vmcalls.h"

namespace ostd::tdx {

// The #VE exit reasons Keel emulates (VMX basic exit reasons).
inline constexpr uint32_t kExitCpuid = 10;
inline constexpr uint32_t kExitHlt = 12;
inline constexpr uint32_t kExitIo = 30;
inline constexpr uint32_t kExitRdmsr = 31;
inline constexpr uint32_t kExitWrmsr = 32;
inline constexpr uint32_t kExitEptViolation = 48;

// What TDG.VP.VEINFO.GET returns (RCX low 32 bits, RDX, R8, R9, R10 low and
// high 32 bits).
struct VeInfo {
  uint32_t exit_reason = 0;
  uint64_t exit_qualification = 0;
  uint64_t gla = 0;           // guest linear address
  uint64_t gpa = 0;           // guest physical address
  uint32_t instr_length = 0;  // valid for cpuid, hlt, I/O, rdmsr, wrmsr (not for EPT violations)
  uint32_t instr_info = 0;
};

// General-purpose registers in x86 encoding order.
enum Gpr : uint8_t {
  kRax,
  kRcx,
  kRdx,
  kRbx,
  kRsp,
  kRbp,
  kRsi,
  kRdi,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
};

// The interrupted context the emulation reads and updates.
struct VeRegs {
  uint64_t gpr[16] = {};  // indexed by Gpr
  uint64_t rip = 0;
  uint64_t rflags = 0;
};

// The operation a #VE asks for.
enum class VeOp : uint8_t {
  kMmioRead,   // address = GPA; the result goes to `reg`
  kMmioWrite,  // address = GPA, value = the bytes to write
  kIoIn,       // address = port; the result goes to al/ax/eax
  kIoOut,      // address = port, value = al/ax/eax
  kCpuid,      // address = leaf (eax), value = subleaf (ecx)
  kRdmsr,      // address = MSR (ecx)
  kWrmsr,      // address = MSR (ecx), value = edx:eax
  kHlt,        // value = 1 when interrupts were blocked (IF = 0)
};

// How an MMIO read lands in its destination register.
enum class VeExtend : uint8_t {
  kZero,  // zero-extended to dest_size bytes
  kSign,  // sign-extended to dest_size bytes
};

// The decided emulation of one #VE.
struct VeDecision {
  VeOp op = VeOp::kHlt;
  uint8_t size = 0;  // access bytes: 1, 2, 4, 8 (MMIO), 1, 2, 4 (I/O), else 0
  uint64_t address = 0;
  uint64_t value = 0;
  uint8_t reg = 0;         // MMIO read destination (Gpr)
  bool high_byte = false;  // the byte register is ah, ch, dh or bh of reg
  uint8_t dest_size = 0;   // MMIO read: destination width in bytes (1, 2, 4, 8)
  VeExtend extend = VeExtend::kZero;
  uint8_t length = 0;  // bytes to advance rip by, 1..15
};

// Decides how to emulate the #VE described by `ve` in the context `regs`.
// `code` holds the bytes at rip (up to 15; only needed for EPT violations)
// and `shared_bit` is the GPA bit that marks shared memory (1 << (GPAW-1)).
// EOPNOTSUPP for an exit reason or instruction Keel does not emulate,
// EILSEQ for bytes that do not decode, EINVAL for inconsistent information
// (bad sizes or lengths, a register operand for MMIO, a page-crossing
// access), EFAULT for an EPT violation on a private GPA.
Result<VeDecision> DecodeVe(const VeInfo& ve, std::span<const uint8_t> code, const VeRegs& regs,
                            uint64_t shared_bit);

// Writes `value` (the result of an MMIO read, in or rdmsr) into `regs` as
// `d` says and advances rip. For cpuid use CompleteCpuid; for operations
// without a result, CompleteVe ignores `value`.
void CompleteVe(const VeDecision& d, uint64_t value, VeRegs& regs);
// Writes the cpuid result into eax..edx (zero-extended) and advances rip.
void CompleteCpuid(const VeDecision& d, const CpuidRegs& r, VeRegs& regs);

// The cpuid leaves a #VE forwards to the host; any other leaf reads as zeros
// (Linux's rule: the host may answer only the hypervisor range).
inline constexpr uint32_t kCpuidHypervisorFirst = 0x40000000;
inline constexpr uint32_t kCpuidHypervisorLast = 0x4fffffff;

// DecodeVe, the host call through `host` (none for a cpuid leaf outside the
// hypervisor range), then the completion. On an error `regs` is unchanged
// and the handler must treat the #VE as fatal.
Status EmulateVe(const VeInfo& ve, std::span<const uint8_t> code, VeRegs& regs, VmCalls& host,
                 uint64_t shared_bit);

}  // namespace ostd::tdx

#endif  // OSTD_TDX_INTERNAL_VE_H_
