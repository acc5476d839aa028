#include "ostd/tdx/internal/ve.h"

#include "ostd/internal/noprobe.h"
#include "ostd/patch/insn.h"

// The #VE path runs inside trap dispatch: a breakpoint here could recurse.
OSTD_NOPROBE_FILE

namespace ostd::tdx {
namespace {

constexpr uint64_t kPageSize = 4096;

uint64_t Mask(uint8_t size) { return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

uint64_t SignExtend(uint64_t v, uint8_t size) {
  if (size >= 8) return v;
  uint64_t sign = uint64_t{1} << (8 * size - 1);
  return ((v & Mask(size)) ^ sign) - sign;
}

// Writes the low `size` bytes of a register the way a mov does: 8/16-bit
// destinations keep the other bits, 32-bit ones zero the upper half.
void WriteReg(VeRegs& regs, uint8_t reg, bool high_byte, uint8_t size, uint64_t v) {
  uint64_t& r = regs.gpr[reg & 15];
  if (high_byte) {
    r = (r & ~uint64_t{0xff00}) | ((v & 0xff) << 8);
  } else if (size == 4) {
    r = v & 0xffffffff;
  } else {
    r = (r & ~Mask(size)) | (v & Mask(size));
  }
}

// The 8-bit register `reg` (with REX.R applied): without a REX prefix,
// encodings 4..7 are ah, ch, dh, bh.
void ByteReg(uint8_t reg, bool has_rex, uint8_t& out, bool& high) {
  high = !has_rex && reg >= 4 && reg <= 7;
  out = high ? static_cast<uint8_t>(reg - 4) : reg;
}

Result<VeDecision> DecodeMmio(const VeInfo& ve, std::span<const uint8_t> code, const VeRegs& regs,
                              uint64_t shared_bit) {
  if (shared_bit == 0 || (ve.gpa & shared_bit) == 0) return Err(Errno::kEFAULT);
  OSTD_TRY_ASSIGN(patch::Insn insn, patch::DecodeInsn(code));
  if (insn.prefixes & (patch::kPrefixLock | patch::kPrefixRep | patch::kPrefixRepne)) {
    return Err(Errno::kEOPNOTSUPP);
  }
  bool rex_w = insn.rex & 8;
  uint8_t reg = static_cast<uint8_t>(((insn.modrm >> 3) & 7) | ((insn.rex & 4) << 1));
  uint8_t opsize = rex_w ? 8 : ((insn.prefixes & patch::kPrefixOpsize) ? 2 : 4);

  VeDecision d;
  d.address = ve.gpa;
  d.length = insn.length;
  bool ok = false;
  if (insn.map == 0) {
    switch (insn.opcode) {
      case 0x88:  // mov r/m8, r8
      case 0x89:  // mov r/m, r
      {
        d.op = VeOp::kMmioWrite;
        d.size = insn.opcode == 0x88 ? 1 : opsize;
        uint8_t src = reg;
        bool high = false;
        if (d.size == 1) ByteReg(reg, insn.rex != 0, src, high);
        uint64_t v = regs.gpr[src];
        d.value = (high ? v >> 8 : v) & Mask(d.size);
        ok = true;
        break;
      }
      case 0x8a:  // mov r8, r/m8
      case 0x8b:  // mov r, r/m
        d.op = VeOp::kMmioRead;
        d.size = insn.opcode == 0x8a ? 1 : opsize;
        d.dest_size = d.size;
        d.reg = reg;
        if (d.size == 1) ByteReg(reg, insn.rex != 0, d.reg, d.high_byte);
        ok = true;
        break;
      case 0xc6:  // mov r/m8, imm8
      case 0xc7:  // mov r/m, imm16/32 (sign-extended to 64 with REX.W)
        if (((insn.modrm >> 3) & 7) != 0) break;
        d.op = VeOp::kMmioWrite;
        d.size = insn.opcode == 0xc6 ? 1 : opsize;
        {
          uint64_t imm = 0;
          for (uint8_t i = insn.imm_size; i > 0; --i)
            imm = (imm << 8) | code[insn.imm_offset + i - 1];
          d.value = SignExtend(imm, insn.imm_size) & Mask(d.size);
        }
        ok = true;
        break;
      default:
        break;
    }
  } else if (insn.map == 1) {
    switch (insn.opcode) {
      case 0xb6:  // movzx r, r/m8
      case 0xb7:  // movzx r, r/m16
      case 0xbe:  // movsx r, r/m8
      case 0xbf:  // movsx r, r/m16
        d.op = VeOp::kMmioRead;
        d.size = (insn.opcode & 1) ? 2 : 1;
        d.dest_size = opsize;
        d.reg = reg;
        d.extend = insn.opcode >= 0xbe ? VeExtend::kSign : VeExtend::kZero;
        ok = d.dest_size >= d.size;
        break;
      default:
        break;
    }
  }
  if (!ok) return Err(Errno::kEOPNOTSUPP);
  if (!insn.has_modrm || (insn.modrm >> 6) == 3)
    return Err(Errno::kEINVAL);  // not a memory operand
  if ((ve.gpa % kPageSize) + d.size > kPageSize) return Err(Errno::kEINVAL);
  return d;
}

}  // namespace

Result<VeDecision> DecodeVe(const VeInfo& ve, std::span<const uint8_t> code, const VeRegs& regs,
                            uint64_t shared_bit) {
  if (ve.exit_reason == kExitEptViolation) return DecodeMmio(ve, code, regs, shared_bit);

  VeDecision d;
  if (ve.instr_length == 0 || ve.instr_length > patch::kMaxInsnLength) return Err(Errno::kEINVAL);
  d.length = static_cast<uint8_t>(ve.instr_length);
  switch (ve.exit_reason) {
    case kExitCpuid:
      d.op = VeOp::kCpuid;
      d.address = regs.gpr[kRax] & 0xffffffff;
      d.value = regs.gpr[kRcx] & 0xffffffff;
      return d;
    case kExitHlt:
      d.op = VeOp::kHlt;
      d.value = (regs.rflags & (uint64_t{1} << 9)) ? 0 : 1;
      return d;
    case kExitRdmsr:
      d.op = VeOp::kRdmsr;
      d.address = regs.gpr[kRcx] & 0xffffffff;
      return d;
    case kExitWrmsr:
      d.op = VeOp::kWrmsr;
      d.address = regs.gpr[kRcx] & 0xffffffff;
      d.value = (regs.gpr[kRdx] << 32) | (regs.gpr[kRax] & 0xffffffff);
      return d;
    case kExitIo: {
      uint64_t q = ve.exit_qualification;
      uint8_t size = static_cast<uint8_t>((q & 7) + 1);
      if (size != 1 && size != 2 && size != 4) return Err(Errno::kEINVAL);
      if (q & (3 << 4)) return Err(Errno::kEOPNOTSUPP);  // string (ins/outs) or rep
      d.size = size;
      d.address = (q >> 16) & 0xffff;
      if (q & 8) {
        d.op = VeOp::kIoIn;
      } else {
        d.op = VeOp::kIoOut;
        d.value = regs.gpr[kRax] & Mask(size);
      }
      return d;
    }
    default:
      return Err(Errno::kEOPNOTSUPP);
  }
}

void CompleteVe(const VeDecision& d, uint64_t value, VeRegs& regs) {
  switch (d.op) {
    case VeOp::kMmioRead: {
      uint64_t v = value & Mask(d.size);
      if (d.extend == VeExtend::kSign) v = SignExtend(v, d.size);
      WriteReg(regs, d.reg, d.high_byte, d.dest_size, v);
      break;
    }
    case VeOp::kIoIn:
      WriteReg(regs, kRax, false, d.size, value);
      break;
    case VeOp::kRdmsr:
      regs.gpr[kRax] = value & 0xffffffff;
      regs.gpr[kRdx] = value >> 32;
      break;
    default:
      break;
  }
  regs.rip += d.length;
}

void CompleteCpuid(const VeDecision& d, const CpuidRegs& r, VeRegs& regs) {
  regs.gpr[kRax] = r.eax;
  regs.gpr[kRbx] = r.ebx;
  regs.gpr[kRcx] = r.ecx;
  regs.gpr[kRdx] = r.edx;
  regs.rip += d.length;
}

Status EmulateVe(const VeInfo& ve, std::span<const uint8_t> code, VeRegs& regs, VmCalls& host,
                 uint64_t shared_bit) {
  OSTD_TRY_ASSIGN(VeDecision d, DecodeVe(ve, code, regs, shared_bit));
  uint64_t result = 0;
  switch (d.op) {
    case VeOp::kMmioRead: {
      OSTD_TRY_ASSIGN(result, host.MmioRead(d.address, d.size));
      break;
    }
    case VeOp::kMmioWrite:
      OSTD_TRY(host.MmioWrite(d.address, d.size, d.value));
      break;
    case VeOp::kIoIn: {
      OSTD_TRY_ASSIGN(uint32_t v, host.IoIn(static_cast<uint16_t>(d.address), d.size));
      result = v;
      break;
    }
    case VeOp::kIoOut:
      OSTD_TRY(
          host.IoOut(static_cast<uint16_t>(d.address), d.size, static_cast<uint32_t>(d.value)));
      break;
    case VeOp::kCpuid: {
      // Only the hypervisor range is the host's to answer, as in Linux: a
      // #VE on any other leaf means the TDX module does not know it, and a
      // CPU answers an unknown leaf with zeros. The untrusted host must not
      // choose the feature bits the module owns.
      CpuidRegs r{};
      if (d.address >= kCpuidHypervisorFirst && d.address <= kCpuidHypervisorLast) {
        OSTD_TRY_ASSIGN(
            r, host.Cpuid(static_cast<uint32_t>(d.address), static_cast<uint32_t>(d.value)));
      }
      CompleteCpuid(d, r, regs);
      return {};
    }
    case VeOp::kRdmsr: {
      OSTD_TRY_ASSIGN(result, host.ReadMsr(static_cast<uint32_t>(d.address)));
      break;
    }
    case VeOp::kWrmsr:
      OSTD_TRY(host.WriteMsr(static_cast<uint32_t>(d.address), d.value));
      break;
    case VeOp::kHlt:
      OSTD_TRY(host.Halt(d.value != 0));
      break;
  }
  CompleteVe(d, result, regs);
  return {};
}

}  // namespace ostd::tdx
