// An x86-64 instruction decoder for probing kernel code: instruction length
// and boundaries, and the properties a breakpoint needs to execute or emulate
// the instruction it replaces (RIP-relative operands, relative branches and
// calls, ret, IF-changing and unprobeable instructions).
//
// Pure logic over bytes (no memory access beyond the span it is given), built
// for the host (GoogleTest, and a test that checks it against llvm-objdump-19
// over every function of the linked kernel) and for the kernel. It decodes
// 64-bit mode only: legacy prefixes, REX, VEX (C4/C5), EVEX (62), XOP (8F),
// ModRM/SIB, displacements, immediates, and the one-byte, 0F, 0F38 and 0F3A
// opcode maps. Anything it cannot decode, or that is invalid in 64-bit mode,
// is an error (EILSEQ), never a guess.
#ifndef OSTD_PATCH_INSN_H_
#define OSTD_PATCH_INSN_H_

#include <cstdint>
#include <span>

#include "ostd/result.h"

namespace ostd::patch {

// The longest x86 instruction.
inline constexpr uint64_t kMaxInsnLength = 15;

// What a probe must do with an instruction it displaces.
enum class InsnKind : uint8_t {
  kOther,        // any other instruction: executed out of line as is
  kJmpRel,       // jmp rel8/rel32: emulated
  kJccRel,       // jcc rel8/rel32 (condition in Insn::cond): emulated
  kLoopRel,      // loop/loope/loopne/jrcxz rel8 (Insn::opcode tells which): emulated
  kCallRel,      // call rel32: emulated
  kRet,          // ret, ret imm16 (Insn::imm): emulated
  kJmpReg,       // jmp *%reg (Insn::reg): emulated
  kCallReg,      // call *%reg (Insn::reg): emulated
  kCli,          // cli: emulated (changes IF)
  kSti,          // sti: emulated (changes IF)
  kPushf,        // pushf: emulated (reads IF)
  kPopf,         // popf: emulated (changes IF)
  kUnsupported,  // decodable, but a probe cannot displace it (see below)
  kUnprobeable,  // must never be probed (see below)
};

// The result of decoding one instruction.
//
// kUnsupported: indirect jmp/call through memory, relative branches with an
// operand- or address-size prefix, far calls/jumps/returns.
// kUnprobeable: int3, int n, int1, into, iret, syscall, sysret, sysenter,
// sysexit, hlt, ud0/ud1/ud2, mov to/from a control or debug register, mov to
// a segment register, the register forms of 0F 01 (swapgs, VMX, monitor,
// clac/stac, ...), vmread/vmwrite, VMX memory forms of 0F C7, xbegin/xabort.
struct Insn {
  uint8_t length = 0;                // bytes, 1..15
  InsnKind kind = InsnKind::kOther;  // what a probe does with it
  uint8_t opcode = 0;                // the opcode byte (last byte of the escape for 0F maps)
  uint8_t map = 0;  // 0: one-byte map, 1: 0F, 2: 0F38, 3: 0F3A, else VEX/EVEX/XOP map + 16
  bool rip_relative = false;  // has a [rip + disp32] memory operand
  uint8_t disp_offset = 0;    // offset of that disp32 in the instruction
  int32_t rel = 0;            // branch displacement (relative to the next instruction)
  uint8_t cond = 0;           // jcc condition (the low 4 bits of the opcode)
  uint8_t reg = 0;            // register number 0..15 for kJmpReg / kCallReg
  uint16_t imm = 0;           // ret imm16 (0 for plain ret)

  // Operand details, for emulating a memory access (the #VE handler's MMIO
  // decoding, ostd/tdx/internal/ve.h).
  uint8_t prefixes = 0;    // kPrefix* bits of the legacy prefixes present
  uint8_t rex = 0;         // the REX byte (0x40..0x4f), 0 if none
  bool has_modrm = false;  // a ModRM byte follows the opcode
  uint8_t modrm = 0;       // that byte (0 if none)
  uint8_t imm_offset = 0;  // offset of the immediate or relative displacement (0 if none)
  uint8_t imm_size = 0;    // its size in bytes (0 if none; 3 for enter's imm16 + imm8)
};

// Bits of Insn::prefixes.
inline constexpr uint8_t kPrefixOpsize = 1 << 0;    // 66
inline constexpr uint8_t kPrefixAddrsize = 1 << 1;  // 67
inline constexpr uint8_t kPrefixRep = 1 << 2;       // F3
inline constexpr uint8_t kPrefixRepne = 1 << 3;     // F2
inline constexpr uint8_t kPrefixLock = 1 << 4;      // F0
inline constexpr uint8_t kPrefixSegment = 1 << 5;   // 26, 2E, 36, 3E, 64, 65

// Decodes the instruction at the start of `code`. EILSEQ if the bytes are not
// a valid 64-bit instruction this decoder knows, or if it would extend past
// the end of `code` (a truncated instruction) or beyond 15 bytes.
Result<Insn> DecodeInsn(std::span<const uint8_t> code);

// True when the jcc condition `cond` (0..15, as in 0x70 + cond) holds for
// the flags value `rflags`.
bool ConditionHolds(uint8_t cond, uint64_t rflags);

// Decodes forward from the start of `function` (a whole function's bytes)
// and reports whether `offset` is the start of an instruction. EILSEQ if
// `offset` falls inside an instruction or the walk hits an undecodable byte
// before reaching it; EINVAL if offset >= function.size(). On success the
// instruction at `offset` (decoded against the rest of the function).
Result<Insn> DecodeAt(std::span<const uint8_t> function, uint64_t offset);

}  // namespace ostd::patch

#endif  // OSTD_PATCH_INSN_H_
