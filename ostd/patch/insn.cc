#include "ostd/patch/insn.h"

#include "ostd/internal/noprobe.h"

// The decoder runs while probes are placed: it is part of the no-probe set.
OSTD_NOPROBE_FILE

namespace ostd::patch {
namespace {

// Immediate sizes.
enum Imm : uint8_t {
  kImmNone,
  kImm8,
  kImm16,
  kImmZ,     // 16 with an operand-size prefix, else 32
  kImmV,     // mov r, imm: 64 with REX.W, 16 with 66, else 32
  kImm16_8,  // enter: imm16 + imm8
  kMoffs,    // mov moffs: 8 bytes (4 with an address-size prefix)
  kRel8,
  kRel32,
};

// Properties of a one-byte-map opcode.
struct Op {
  bool valid;
  bool modrm;
  Imm imm;
};

constexpr Op kInvalid{false, false, kImmNone};
constexpr Op kPlain{true, false, kImmNone};
constexpr Op kModrm{true, true, kImmNone};

Op OneByte(uint8_t op) {
  if (op < 0x40) {
    uint8_t low = op & 7;
    if (op == 0x0f) return kInvalid;  // escape, handled by the caller
    if (low <= 3) return kModrm;
    if (low == 4) return {true, false, kImm8};
    if (low == 5) return {true, false, kImmZ};
    // 06/07/0E/16/17/1E/1F/27/2F/37/3F are invalid in 64-bit mode; 26/2E/36/3E prefixes.
    return kInvalid;
  }
  if (op < 0x50) return kInvalid;  // REX, handled by the caller
  if (op < 0x60) return kPlain;    // push/pop reg
  switch (op) {
    case 0x63:
      return kModrm;  // movsxd
    case 0x68:
      return {true, false, kImmZ};
    case 0x69:
      return {true, true, kImmZ};
    case 0x6a:
      return {true, false, kImm8};
    case 0x6b:
      return {true, true, kImm8};
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f:
      return kPlain;
    default:
      break;
  }
  if (op >= 0x70 && op <= 0x7f) return {true, false, kRel8};
  switch (op) {
    case 0x80:
    case 0x83:
      return {true, true, kImm8};
    case 0x81:
      return {true, true, kImmZ};
    default:
      break;
  }
  if (op >= 0x84 && op <= 0x8f) return kModrm;
  if (op >= 0x90 && op <= 0x99) return kPlain;
  if (op >= 0x9b && op <= 0x9f) return kPlain;
  if (op >= 0xa0 && op <= 0xa3) return {true, false, kMoffs};
  if (op >= 0xa4 && op <= 0xa7) return kPlain;
  if (op == 0xa8) return {true, false, kImm8};
  if (op == 0xa9) return {true, false, kImmZ};
  if (op >= 0xaa && op <= 0xaf) return kPlain;
  if (op >= 0xb0 && op <= 0xb7) return {true, false, kImm8};
  if (op >= 0xb8 && op <= 0xbf) return {true, false, kImmV};
  switch (op) {
    case 0xc0:
    case 0xc1:
      return {true, true, kImm8};
    case 0xc2:
      return {true, false, kImm16};
    case 0xc3:
      return kPlain;
    case 0xc6:
      return {true, true, kImm8};
    case 0xc7:
      return {true, true, kImmZ};
    case 0xc8:
      return {true, false, kImm16_8};
    case 0xc9:
      return kPlain;
    case 0xca:
      return {true, false, kImm16};
    case 0xcb:
    case 0xcc:
      return kPlain;
    case 0xcd:
      return {true, false, kImm8};
    case 0xcf:
      return kPlain;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      return kModrm;
    case 0xd7:
      return kPlain;
    default:
      break;
  }
  if (op >= 0xd8 && op <= 0xdf) return kModrm;  // x87
  if (op >= 0xe0 && op <= 0xe3) return {true, false, kRel8};
  if (op >= 0xe4 && op <= 0xe7) return {true, false, kImm8};
  switch (op) {
    case 0xe8:
    case 0xe9:
      return {true, false, kRel32};
    case 0xeb:
      return {true, false, kRel8};
    case 0xec:
    case 0xed:
    case 0xee:
    case 0xef:
    case 0xf1:
    case 0xf4:
    case 0xf5:
      return kPlain;
    case 0xf6:
    case 0xf7:
      return kModrm;  // immediate depends on ModRM.reg (handled by the caller)
    default:
      break;
  }
  if (op >= 0xf8 && op <= 0xfd) return kPlain;
  if (op == 0xfe || op == 0xff) return kModrm;
  return kInvalid;  // 60-62, 82, 9A, C4/C5 (VEX), CE, D4-D6, EA
}

// The 0F map.
Op TwoByte(uint8_t op) {
  switch (op) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x0d:
      return kModrm;
    case 0x05:
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0b:
    case 0x0e:
      return kPlain;
    case 0x04:
    case 0x0a:
    case 0x0c:
    case 0x0f:  // 3DNow!: not decoded
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x27:
    case 0x36:
    case 0x38:  // escapes, handled by the caller
    case 0x39:
    case 0x3a:
    case 0x3b:
    case 0x3c:
    case 0x3d:
    case 0x3e:
    case 0x3f:
    case 0x7a:
    case 0x7b:
      return kInvalid;
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x37:
    case 0x77:
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa8:
    case 0xa9:
    case 0xaa:
      return kPlain;
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0xa4:
    case 0xac:
    case 0xba:
    case 0xc2:
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return {true, true, kImm8};
    default:
      break;
  }
  if (op >= 0x80 && op <= 0x8f) return {true, false, kRel32};
  if (op >= 0xc8 && op <= 0xcf) return kPlain;  // bswap
  return kModrm;  // 10-23, 28-2F, 40-6F, 74-76, 78-7F, 90-9F, A3, A5, AB, AD-B9, BB-C1, C3, C7,
                  // D0-FF
}

// A cursor over the instruction's bytes; every read is bounds-checked.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> code) : code_(code) {}
  bool Has(uint64_t n) const { return pos_ + n <= code_.size() && pos_ + n <= kMaxInsnLength; }
  Result<uint8_t> Peek(uint64_t ahead = 0) const {
    if (!Has(ahead + 1)) return Err(Errno::kEILSEQ);
    return code_[pos_ + ahead];
  }
  Result<uint8_t> Next() {
    OSTD_TRY_ASSIGN(uint8_t b, Peek());
    ++pos_;
    return b;
  }
  Status Skip(uint64_t n) {
    if (!Has(n)) return Err(Errno::kEILSEQ);
    pos_ += n;
    return {};
  }
  Result<int64_t> Signed(uint64_t n) {
    if (!Has(n)) return Err(Errno::kEILSEQ);
    uint64_t v = 0;
    for (uint64_t i = n; i > 0; --i) v = (v << 8) | code_[pos_ + i - 1];
    pos_ += n;
    uint64_t sign = uint64_t{1} << (8 * n - 1);
    return static_cast<int64_t>((v ^ sign) - sign);
  }
  uint64_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> code_;
  uint64_t pos_ = 0;
};

struct Prefixes {
  bool opsize = false;    // 66
  bool addrsize = false;  // 67
  bool rep = false;       // F3
  bool repne = false;     // F2
  uint8_t rex = 0;        // 0 or 0x40..0x4f
};

bool IsLegacyPrefix(uint8_t b) {
  switch (b) {
    case 0xf0:
    case 0xf2:
    case 0xf3:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x26:
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67:
      return true;
    default:
      return false;
  }
}

struct ModRm {
  uint8_t mod;
  uint8_t reg;  // without REX.R
  uint8_t rm;   // without REX.B
};

// Reads ModRM, SIB and displacement; records a RIP-relative operand.
Result<ModRm> ReadModRm(Cursor& c, Insn& insn) {
  OSTD_TRY_ASSIGN(uint8_t b, c.Next());
  insn.has_modrm = true;
  insn.modrm = b;
  ModRm m{static_cast<uint8_t>(b >> 6), static_cast<uint8_t>((b >> 3) & 7),
          static_cast<uint8_t>(b & 7)};
  if (m.mod == 3) return m;
  uint64_t disp = 0;
  if (m.rm == 4) {
    OSTD_TRY_ASSIGN(uint8_t sib, c.Next());
    if (m.mod == 0 && (sib & 7) == 5) disp = 4;
  } else if (m.mod == 0 && m.rm == 5) {
    insn.rip_relative = true;
    insn.disp_offset = static_cast<uint8_t>(c.pos());
    disp = 4;
  }
  if (m.mod == 1) disp = 1;
  if (m.mod == 2) disp = 4;
  OSTD_TRY(c.Skip(disp));
  return m;
}

uint64_t ImmBytes(Imm imm, const Prefixes& p) {
  switch (imm) {
    case kImmNone:
      return 0;
    case kImm8:
    case kRel8:
      return 1;
    case kImm16:
      return 2;
    case kImmZ:
      return p.opsize ? 2 : 4;
    case kImmV:
      return (p.rex & 8) ? 8 : (p.opsize ? 2 : 4);
    case kImm16_8:
      return 3;
    case kMoffs:
      return p.addrsize ? 4 : 8;
    case kRel32:
      return 4;
  }
  return 0;
}

// Skips an immediate of `n` bytes and records where it is.
Status SkipImm(Cursor& c, Insn& insn, uint64_t n) {
  if (n != 0) {
    insn.imm_offset = static_cast<uint8_t>(c.pos());
    insn.imm_size = static_cast<uint8_t>(n);
  }
  return c.Skip(n);
}

// VEX/EVEX/XOP-encoded instructions: the payload is consumed by the caller;
// `map` is the opcode map (1: 0F, 2: 0F38, 3: 0F3A; XOP 8, 9, 10; EVEX 5, 6).
Status DecodeVexBody(Cursor& c, Insn& insn, uint8_t map, bool evex, bool xop) {
  OSTD_TRY_ASSIGN(uint8_t op, c.Next());
  insn.opcode = op;
  insn.map = static_cast<uint8_t>(16 + map);
  if (!evex && !xop && map == 1 && op == 0x77) return {};  // vzeroupper/vzeroall
  if (xop && map != 8 && map != 9 && map != 10) return Err(Errno::kEILSEQ);
  if (!xop && map != 1 && map != 2 && map != 3 && !(evex && (map == 5 || map == 6))) {
    return Err(Errno::kEILSEQ);
  }
  OSTD_TRY(ReadModRm(c, insn));
  uint64_t imm = 0;
  if (xop) {
    imm = map == 8 ? 1 : (map == 10 ? 4 : 0);
  } else if (map == 3) {
    imm = 1;
  } else if (map == 1) {
    switch (op) {
      case 0x70:
      case 0x71:
      case 0x72:
      case 0x73:
      case 0xc2:
      case 0xc4:
      case 0xc5:
      case 0xc6:
        imm = 1;
        break;
      default:
        break;
    }
  }
  return SkipImm(c, insn, imm);
}

Result<Insn> Decode(std::span<const uint8_t> code) {
  Cursor c(code);
  Insn insn;
  Prefixes p;
  OSTD_TRY_ASSIGN(uint8_t b, c.Next());
  while (IsLegacyPrefix(b)) {
    if (b == 0x66) p.opsize = true;
    if (b == 0x67) p.addrsize = true;
    if (b == 0xf3) p.rep = true;
    if (b == 0xf2) p.repne = true;
    insn.prefixes |= b == 0x66   ? kPrefixOpsize
                     : b == 0x67 ? kPrefixAddrsize
                     : b == 0xf3 ? kPrefixRep
                     : b == 0xf2 ? kPrefixRepne
                     : b == 0xf0 ? kPrefixLock
                                 : kPrefixSegment;
    OSTD_TRY_ASSIGN(b, c.Next());
  }
  if (b >= 0x40 && b <= 0x4f) {
    p.rex = b;
    insn.rex = b;
    OSTD_TRY_ASSIGN(b, c.Next());
    if (IsLegacyPrefix(b) || (b >= 0x40 && b <= 0x4f)) return Err(Errno::kEILSEQ);
  }

  // VEX / EVEX / XOP (all three are always these encodings in 64-bit mode,
  // except 8F /0, which is pop r/m).
  if (b == 0xc5 || b == 0xc4 || b == 0x62 || b == 0x8f) {
    if (p.rex != 0 && b != 0x8f) return Err(Errno::kEILSEQ);
    if (b == 0xc5) {
      OSTD_TRY(c.Skip(1));
      OSTD_TRY(DecodeVexBody(c, insn, 1, false, false));
    } else if (b == 0xc4) {
      OSTD_TRY_ASSIGN(uint8_t p0, c.Next());
      OSTD_TRY(c.Skip(1));
      OSTD_TRY(DecodeVexBody(c, insn, p0 & 0x1f, false, false));
    } else if (b == 0x62) {
      OSTD_TRY_ASSIGN(uint8_t p0, c.Next());
      OSTD_TRY(c.Skip(2));
      OSTD_TRY(DecodeVexBody(c, insn, p0 & 7, true, false));
    } else {
      OSTD_TRY_ASSIGN(uint8_t next, c.Peek());
      if (((next >> 3) & 7) != 0) {
        if (p.rex != 0) return Err(Errno::kEILSEQ);
        OSTD_TRY(c.Skip(2));
        OSTD_TRY(DecodeVexBody(c, insn, next & 0x1f, false, true));
      } else {
        insn.opcode = b;
        OSTD_TRY(ReadModRm(c, insn));  // pop r/m64
      }
    }
    insn.length = static_cast<uint8_t>(c.pos());
    return insn;
  }

  if (b != 0x0f) {
    insn.opcode = b;
    Op op = OneByte(b);
    if (!op.valid) return Err(Errno::kEILSEQ);
    ModRm m{};
    if (op.modrm) {
      OSTD_TRY_ASSIGN(m, ReadModRm(c, insn));
    }
    Imm imm = op.imm;
    if (b == 0xf6 && m.reg <= 1) imm = kImm8;
    if (b == 0xf7 && m.reg <= 1) imm = kImmZ;
    uint64_t imm_start = c.pos();
    OSTD_TRY(SkipImm(c, insn, ImmBytes(imm, p)));

    // Classification.
    if (b >= 0x70 && b <= 0x7f) {
      insn.kind = InsnKind::kJccRel;
      insn.cond = b & 0xf;
    } else if (b == 0xeb || b == 0xe9) {
      insn.kind = InsnKind::kJmpRel;
    } else if (b == 0xe8) {
      insn.kind = InsnKind::kCallRel;
    } else if (b >= 0xe0 && b <= 0xe3) {
      insn.kind = InsnKind::kLoopRel;
    } else if (b == 0xc3 || b == 0xc2) {
      insn.kind = InsnKind::kRet;
    } else if (b == 0xfa) {
      insn.kind = InsnKind::kCli;
    } else if (b == 0xfb) {
      insn.kind = InsnKind::kSti;
    } else if (b == 0x9c) {
      insn.kind = InsnKind::kPushf;
    } else if (b == 0x9d) {
      insn.kind = InsnKind::kPopf;
    } else if (b == 0xff && (m.reg == 2 || m.reg == 4)) {
      if (m.mod == 3) {
        insn.kind = m.reg == 2 ? InsnKind::kCallReg : InsnKind::kJmpReg;
        insn.reg = static_cast<uint8_t>(m.rm | ((p.rex & 1) << 3));
      } else {
        insn.kind = InsnKind::kUnsupported;
      }
    } else if ((b == 0xff && (m.reg == 3 || m.reg == 5)) || b == 0xca || b == 0xcb) {
      insn.kind = InsnKind::kUnsupported;  // far call / jmp / ret
    } else if (b == 0xcc || b == 0xcd || b == 0xf1 || b == 0xcf || b == 0xf4 || (b == 0x8e) ||
               ((b == 0xc6 || b == 0xc7) && m.mod == 3 && m.reg == 7)) {
      insn.kind = InsnKind::kUnprobeable;
    } else if (b == 0xfe && m.reg >= 2) {
      return Err(Errno::kEILSEQ);  // FE /2../7 are undefined
    } else if (b == 0xff && m.reg == 7) {
      return Err(Errno::kEILSEQ);
    }
    if (insn.kind == InsnKind::kJccRel || insn.kind == InsnKind::kJmpRel ||
        insn.kind == InsnKind::kCallRel || insn.kind == InsnKind::kLoopRel) {
      if (p.opsize || (p.addrsize && insn.kind == InsnKind::kLoopRel)) {
        insn.kind = InsnKind::kUnsupported;
      } else {
        Cursor r(code);
        OSTD_TRY(r.Skip(imm_start));
        OSTD_TRY_ASSIGN(int64_t rel, r.Signed(ImmBytes(imm, p)));
        insn.rel = static_cast<int32_t>(rel);
      }
    }
    if (b == 0xc2) {
      Cursor r(code);
      OSTD_TRY(r.Skip(imm_start));
      OSTD_TRY_ASSIGN(int64_t v, r.Signed(2));
      insn.imm = static_cast<uint16_t>(v);
    }
    insn.length = static_cast<uint8_t>(c.pos());
    return insn;
  }

  // 0F maps.
  OSTD_TRY_ASSIGN(uint8_t b2, c.Next());
  if (b2 == 0x38 || b2 == 0x3a) {
    OSTD_TRY_ASSIGN(uint8_t b3, c.Next());
    insn.opcode = b3;
    insn.map = b2 == 0x38 ? 2 : 3;
    OSTD_TRY(ReadModRm(c, insn));
    if (b2 == 0x3a) OSTD_TRY(SkipImm(c, insn, 1));
    insn.length = static_cast<uint8_t>(c.pos());
    return insn;
  }
  insn.opcode = b2;
  insn.map = 1;
  Op op = TwoByte(b2);
  if (!op.valid) return Err(Errno::kEILSEQ);
  ModRm m{};
  if (b2 >= 0x20 && b2 <= 0x23) {
    // mov to/from CR/DR: ModRM is always a register pair
    OSTD_TRY_ASSIGN(uint8_t modrm, c.Next());
    insn.has_modrm = true;
    insn.modrm = modrm;
  } else if (op.modrm) {
    OSTD_TRY_ASSIGN(m, ReadModRm(c, insn));
  }
  uint64_t imm_start = c.pos();
  OSTD_TRY(SkipImm(c, insn, ImmBytes(op.imm, p)));
  if (b2 >= 0x80 && b2 <= 0x8f) {
    insn.cond = b2 & 0xf;
    if (p.opsize) {
      insn.kind = InsnKind::kUnsupported;
    } else {
      insn.kind = InsnKind::kJccRel;
      Cursor r(code);
      OSTD_TRY(r.Skip(imm_start));
      OSTD_TRY_ASSIGN(int64_t rel, r.Signed(4));
      insn.rel = static_cast<int32_t>(rel);
    }
  } else if (b2 == 0x05 || b2 == 0x07 || b2 == 0x34 || b2 == 0x35 || b2 == 0x0b || b2 == 0xb9 ||
             b2 == 0xff || (b2 >= 0x20 && b2 <= 0x23) || b2 == 0x78 || b2 == 0x79 ||
             (b2 == 0x01 && m.mod == 3) || (b2 == 0xc7 && m.mod != 3 && m.reg >= 6)) {
    insn.kind = InsnKind::kUnprobeable;
  }
  insn.length = static_cast<uint8_t>(c.pos());
  return insn;
}

}  // namespace

Result<Insn> DecodeInsn(std::span<const uint8_t> code) { return Decode(code); }

bool ConditionHolds(uint8_t cond, uint64_t rflags) {
  bool cf = rflags & (1u << 0);
  bool pf = rflags & (1u << 2);
  bool zf = rflags & (1u << 6);
  bool sf = rflags & (1u << 7);
  bool of = rflags & (1u << 11);
  bool r = false;
  switch ((cond >> 1) & 7) {
    case 0:
      r = of;
      break;
    case 1:
      r = cf;
      break;
    case 2:
      r = zf;
      break;
    case 3:
      r = cf || zf;
      break;
    case 4:
      r = sf;
      break;
    case 5:
      r = pf;
      break;
    case 6:
      r = sf != of;
      break;
    case 7:
      r = zf || (sf != of);
      break;
  }
  return (cond & 1) ? !r : r;
}

Result<Insn> DecodeAt(std::span<const uint8_t> function, uint64_t offset) {
  if (offset >= function.size()) return Err(Errno::kEINVAL);
  uint64_t at = 0;
  while (at < offset) {
    OSTD_TRY_ASSIGN(Insn insn, Decode(function.subspan(at)));
    at += insn.length;
  }
  if (at != offset) return Err(Errno::kEILSEQ);
  return Decode(function.subspan(at));
}

}  // namespace ostd::patch
