#include "ostd/tdx/internal/ve.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace ostd::tdx {
namespace {

constexpr uint64_t kShared = uint64_t{1} << 47;  // GPAW 48
constexpr uint64_t kMmioGpa = kShared | 0xfeb00010;

// A host that records the last call and answers from fixed values.
class FakeHost final : public VmCalls {
 public:
  Result<uint32_t> IoIn(uint16_t port, uint8_t size) override {
    Record("in", port, size, 0);
    if (fail) return Err(Errno::kEIO);
    return static_cast<uint32_t>(answer);
  }
  Status IoOut(uint16_t port, uint8_t size, uint32_t value) override {
    Record("out", port, size, value);
    if (fail) return Err(Errno::kEIO);
    return {};
  }
  Result<uint64_t> MmioRead(uint64_t gpa, uint8_t size) override {
    Record("mmio_read", gpa, size, 0);
    if (fail) return Err(Errno::kEIO);
    return answer;
  }
  Status MmioWrite(uint64_t gpa, uint8_t size, uint64_t value) override {
    Record("mmio_write", gpa, size, value);
    if (fail) return Err(Errno::kEIO);
    return {};
  }
  Result<uint64_t> ReadMsr(uint32_t msr) override {
    Record("rdmsr", msr, 0, 0);
    if (fail) return Err(Errno::kEIO);
    return answer;
  }
  Status WriteMsr(uint32_t msr, uint64_t value) override {
    Record("wrmsr", msr, 0, value);
    if (fail) return Err(Errno::kEIO);
    return {};
  }
  Result<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) override {
    Record("cpuid", leaf, 0, subleaf);
    if (fail) return Err(Errno::kEIO);
    return CpuidRegs{0x11, 0x22, 0x33, 0x44};
  }
  Status Halt(bool irqs_blocked) override {
    Record("hlt", 0, 0, irqs_blocked);
    return {};
  }

  const char* op = "";
  uint64_t address = 0;
  uint8_t size = 0;
  uint64_t value = 0;
  uint64_t answer = 0;
  bool fail = false;
  int calls = 0;

 private:
  void Record(const char* o, uint64_t a, uint8_t s, uint64_t v) {
    op = o;
    address = a;
    size = s;
    value = v;
    ++calls;
  }
};

VeRegs Regs() {
  VeRegs r;
  for (uint64_t i = 0; i < 16; ++i) r.gpr[i] = 0x1111111111111111 * (i + 1);  // distinct
  r.rip = 0x1000;
  r.rflags = 0x202;
  return r;
}

VeInfo Mmio(uint64_t gpa = kMmioGpa) {
  VeInfo ve;
  ve.exit_reason = kExitEptViolation;
  ve.gpa = gpa;
  ve.instr_length = 0;  // not valid for EPT violations
  return ve;
}

// Emulates an MMIO read of `bytes` answered with `answer`; returns the registers.
VeRegs Read(std::vector<uint8_t> bytes, uint64_t answer, FakeHost& host) {
  VeRegs r = Regs();
  host.answer = answer;
  EXPECT_TRUE(EmulateVe(Mmio(), bytes, r, host, kShared).has_value());
  EXPECT_STREQ(host.op, "mmio_read");
  EXPECT_EQ(host.address, kMmioGpa);
  EXPECT_EQ(r.rip, 0x1000 + bytes.size());
  return r;
}

TEST(Ve, MmioReads) {
  FakeHost h;
  // mov (%rax),%ecx: 4 bytes, zero-extends into rcx.
  VeRegs r = Read({0x8b, 0x08}, 0xffffffffdeadbeef, h);
  EXPECT_EQ(h.size, 4);
  EXPECT_EQ(r.gpr[kRcx], 0xdeadbeef);
  // mov (%rax),%rcx (REX.W): 8 bytes.
  r = Read({0x48, 0x8b, 0x08}, 0x0123456789abcdef, h);
  EXPECT_EQ(h.size, 8);
  EXPECT_EQ(r.gpr[kRcx], 0x0123456789abcdef);
  // mov (%rax),%cx (66): 2 bytes, upper bits kept.
  r = Read({0x66, 0x8b, 0x08}, 0xbeef, h);
  EXPECT_EQ(h.size, 2);
  EXPECT_EQ(r.gpr[kRcx], 0x222222222222beef);
  // mov (%rax),%r9b (REX.R): 1 byte into r9's low byte.
  r = Read({0x44, 0x8a, 0x08}, 0x5a, h);
  EXPECT_EQ(h.size, 1);
  EXPECT_EQ(r.gpr[kR9], 0xaaaaaaaaaaaaaa5a);
  // mov (%rax),%ch (no REX: encoding 5 is ch).
  r = Read({0x8a, 0x28}, 0x5a, h);
  EXPECT_EQ(r.gpr[kRcx], 0x2222222222225a22);
  EXPECT_EQ(r.gpr[kRbp], Regs().gpr[kRbp]);
  // mov (%rax),%bpl (REX: encoding 5 is bpl).
  r = Read({0x40, 0x8a, 0x28}, 0x5a, h);
  EXPECT_EQ(r.gpr[kRbp], 0x666666666666665a);
  // mov 0x10(%rdi,%rsi,4),%r15 (SIB + disp8): the GPA comes from the #VE.
  r = Read({0x4c, 0x8b, 0x7c, 0xb7, 0x10}, 7, h);
  EXPECT_EQ(r.gpr[kR15], 7u);
}

TEST(Ve, MmioZeroAndSignExtend) {
  FakeHost h;
  // movzbl (%rax),%ecx
  VeRegs r = Read({0x0f, 0xb6, 0x08}, 0xfff0, h);
  EXPECT_EQ(h.size, 1);
  EXPECT_EQ(r.gpr[kRcx], 0xf0u);
  // movzwq (%rax),%rcx
  r = Read({0x48, 0x0f, 0xb7, 0x08}, 0x8001, h);
  EXPECT_EQ(h.size, 2);
  EXPECT_EQ(r.gpr[kRcx], 0x8001u);
  // movsbl (%rax),%ecx: sign-extended to 32, upper half zeroed.
  r = Read({0x0f, 0xbe, 0x08}, 0x80, h);
  EXPECT_EQ(r.gpr[kRcx], 0xffffff80u);
  // movswq (%rax),%r12
  r = Read({0x4c, 0x0f, 0xbf, 0x20}, 0x8000, h);
  EXPECT_EQ(r.gpr[kR12], 0xffffffffffff8000);
  // movsbw (%rax),%cx: 16-bit destination, upper 48 bits kept.
  r = Read({0x66, 0x0f, 0xbe, 0x08}, 0xff, h);
  EXPECT_EQ(r.gpr[kRcx], 0x222222222222ffff);
}

TEST(Ve, MmioWrites) {
  FakeHost h;
  VeRegs r = Regs();
  // mov %ecx,(%rax)
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x89, 0x08}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "mmio_write");
  EXPECT_EQ(h.size, 4);
  EXPECT_EQ(h.value, 0x22222222u);
  EXPECT_EQ(r.rip, 0x1002u);
  // mov %r10,(%rax)
  r = Regs();
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x4c, 0x89, 0x10}, r, h, kShared).has_value());
  EXPECT_EQ(h.size, 8);
  EXPECT_EQ(h.value, 0xbbbbbbbbbbbbbbbb);
  // mov %bh,(%rax) (no REX: encoding 7 is bh), then %dil with REX.
  r = Regs();
  r.gpr[kRbx] = 0x1234;
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x88, 0x38}, r, h, kShared).has_value());
  EXPECT_EQ(h.size, 1);
  EXPECT_EQ(h.value, 0x12u);
  r.gpr[kRdi] = 0xab;
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x40, 0x88, 0x38}, r, h, kShared).has_value());
  EXPECT_EQ(h.value, 0xabu);
  // movw $0xbeef,(%rax); movb $0x7f,(%rax); movq $-2,(%rax) (imm32 sign-extended).
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x66, 0xc7, 0x00, 0xef, 0xbe}, r, h, kShared)
                  .has_value());
  EXPECT_EQ(h.size, 2);
  EXPECT_EQ(h.value, 0xbeefu);
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0xc6, 0x00, 0x7f}, r, h, kShared).has_value());
  EXPECT_EQ(h.size, 1);
  EXPECT_EQ(h.value, 0x7fu);
  uint64_t rip = r.rip;
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff}, r,
                        h, kShared)
                  .has_value());
  EXPECT_EQ(h.size, 8);
  EXPECT_EQ(h.value, 0xfffffffffffffffe);
  EXPECT_EQ(r.rip, rip + 7);
  // A segment prefix (mov %eax,%gs:(%rcx)) changes nothing: the GPA is given.
  ASSERT_TRUE(EmulateVe(Mmio(), std::vector<uint8_t>{0x65, 0x89, 0x01}, r, h, kShared).has_value());
}

TEST(Ve, MmioRejects) {
  FakeHost h;
  VeRegs r = Regs();
  auto err = [&](std::vector<uint8_t> bytes, VeInfo ve = Mmio()) {
    VeRegs before = r;
    Status s = EmulateVe(ve, bytes, r, h, kShared);
    EXPECT_EQ(r.rip, before.rip);
    EXPECT_EQ(r.gpr[kRcx], before.gpr[kRcx]);
    return s.has_value() ? Errno{} : s.error();
  };
  EXPECT_EQ(err({0x83, 0x00, 0x01}), Errno::kEOPNOTSUPP);              // addl $1,(%rax)
  EXPECT_EQ(err({0xf0, 0x89, 0x08}), Errno::kEOPNOTSUPP);              // lock prefix
  EXPECT_EQ(err({0xf3, 0xa5}), Errno::kEOPNOTSUPP);                    // rep movsl
  EXPECT_EQ(err({0xa4}), Errno::kEOPNOTSUPP);                          // movsb
  EXPECT_EQ(err({0xa1, 0, 0, 0, 0, 0, 0, 0, 0}), Errno::kEOPNOTSUPP);  // mov moffs,%eax
  EXPECT_EQ(err({0xc7, 0x48, 0x10, 0, 0, 0, 0}), Errno::kEOPNOTSUPP);  // C7 /1 is not mov
  EXPECT_EQ(err({0x89, 0xc8}), Errno::kEINVAL);  // mov %ecx,%eax: no memory operand
  EXPECT_EQ(err({0x8b}), Errno::kEILSEQ);        // truncated
  EXPECT_EQ(err({}), Errno::kEILSEQ);            // no bytes
  EXPECT_EQ(err({0x06}), Errno::kEILSEQ);        // invalid in 64-bit mode
  EXPECT_EQ(err({0x89, 0x08}, Mmio(0xfeb00010)), Errno::kEFAULT);             // private GPA
  EXPECT_EQ(err({0x48, 0x89, 0x08}, Mmio(kShared | 0xffc)), Errno::kEINVAL);  // crosses a page
  EXPECT_TRUE(EmulateVe(Mmio(kShared | 0xffc), std::vector<uint8_t>{0x89, 0x08}, r, h, kShared)
                  .has_value());  // ends exactly at the page end
  r = Regs();
  // No shared bit known (GPAW not read yet): every MMIO #VE is refused.
  EXPECT_FALSE(EmulateVe(Mmio(), std::vector<uint8_t>{0x89, 0x08}, r, h, 0).has_value());
  // The host fails: an error, registers untouched.
  h.fail = true;
  EXPECT_EQ(err({0x8b, 0x08}), Errno::kEIO);
}

TEST(Ve, PortIo) {
  FakeHost h;
  VeInfo ve;
  ve.exit_reason = kExitIo;
  ve.instr_length = 1;
  // inb (%dx),%al from port 0x3f8 + 5: size 1, direction in.
  ve.exit_qualification = (uint64_t{0x3fd} << 16) | 8 | 0;
  VeRegs r = Regs();
  h.answer = 0x60;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "in");
  EXPECT_EQ(h.address, 0x3fdu);
  EXPECT_EQ(h.size, 1);
  EXPECT_EQ(r.gpr[kRax], 0x1111111111111160);
  EXPECT_EQ(r.rip, 0x1001u);
  // inw $0x71,%ax (2 bytes): merges 16 bits.
  ve.exit_qualification = (uint64_t{0x71} << 16) | 8 | 1;
  ve.instr_length = 3;
  r = Regs();
  h.answer = 0xabcd;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_EQ(r.gpr[kRax], 0x111111111111abcd);
  EXPECT_EQ(r.rip, 0x1003u);
  // inl (%dx),%eax: zero-extends like the instruction.
  ve.exit_qualification = (uint64_t{0xcfc} << 16) | 8 | 3;
  ve.instr_length = 1;
  r = Regs();
  h.answer = 0x80001234;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_EQ(h.size, 4);
  EXPECT_EQ(r.gpr[kRax], 0x80001234u);
  // outb %al,$0x80 and outl %eax,(%dx).
  ve.exit_qualification = (uint64_t{0x80} << 16) | 0;
  ve.instr_length = 2;
  r = Regs();
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "out");
  EXPECT_EQ(h.address, 0x80u);
  EXPECT_EQ(h.value, 0x11u);
  EXPECT_EQ(r.gpr[kRax], Regs().gpr[kRax]);
  ve.exit_qualification = (uint64_t{0xcf8} << 16) | 3;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_EQ(h.size, 4);
  EXPECT_EQ(h.value, 0x11111111u);
  // Bad inputs: size 3, string and rep forms, a zero or over-long length.
  VeRegs before = Regs();
  r = before;
  ve.exit_qualification = (uint64_t{0x80} << 16) | 2;
  EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEINVAL);
  ve.exit_qualification = (uint64_t{0x80} << 16) | (1 << 4);
  EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEOPNOTSUPP);
  ve.exit_qualification = (uint64_t{0x80} << 16) | (1 << 5) | (1 << 4);
  EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEOPNOTSUPP);
  ve.exit_qualification = uint64_t{0x80} << 16;
  ve.instr_length = 0;
  EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEINVAL);
  ve.instr_length = 16;
  EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEINVAL);
  EXPECT_EQ(r.rip, before.rip);
  EXPECT_EQ(r.gpr[kRax], before.gpr[kRax]);
}

TEST(Ve, CpuidMsrHlt) {
  FakeHost h;
  VeInfo ve;
  ve.instr_length = 2;
  VeRegs r = Regs();
  r.gpr[kRax] = 0xffffffff40000001;  // a hypervisor leaf (upper half ignored)
  r.gpr[kRcx] = 1;
  ve.exit_reason = kExitCpuid;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "cpuid");
  EXPECT_EQ(h.address, 0x40000001u);
  EXPECT_EQ(h.value, 1u);
  EXPECT_EQ(r.gpr[kRax], 0x11u);
  EXPECT_EQ(r.gpr[kRbx], 0x22u);
  EXPECT_EQ(r.gpr[kRcx], 0x33u);
  EXPECT_EQ(r.gpr[kRdx], 0x44u);
  EXPECT_EQ(r.rip, 0x1002u);

  // Any other leaf: zeros, and the host is not asked (it must not choose
  // feature bits the TDX module owns).
  for (uint64_t leaf : {0x7ull, 0x3fffffffull, 0x50000000ull, 0x80000001ull}) {
    FakeHost quiet;
    r = Regs();
    r.gpr[kRax] = 0xffffffff00000000 | leaf;
    r.gpr[kRbx] = 0xb;
    ASSERT_TRUE(EmulateVe(ve, {}, r, quiet, kShared).has_value());
    EXPECT_STREQ(quiet.op, "") << leaf;
    EXPECT_EQ(r.gpr[kRax], 0u);
    EXPECT_EQ(r.gpr[kRbx], 0u);
    EXPECT_EQ(r.gpr[kRcx], 0u);
    EXPECT_EQ(r.gpr[kRdx], 0u);
    EXPECT_EQ(r.rip, 0x1002u);
  }

  r = Regs();
  r.gpr[kRcx] = 0x1b;
  h.answer = 0x00000001fee00900;
  ve.exit_reason = kExitRdmsr;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_EQ(h.address, 0x1bu);
  EXPECT_EQ(r.gpr[kRax], 0xfee00900u);
  EXPECT_EQ(r.gpr[kRdx], 1u);

  r = Regs();
  r.gpr[kRcx] = 0x830;
  r.gpr[kRax] = 0xffffffff000000fe;  // only eax counts
  r.gpr[kRdx] = 0x2;
  ve.exit_reason = kExitWrmsr;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "wrmsr");
  EXPECT_EQ(h.address, 0x830u);
  EXPECT_EQ(h.value, 0x2000000feu);
  EXPECT_EQ(r.gpr[kRax], 0xffffffff000000feu);

  ve.exit_reason = kExitHlt;
  ve.instr_length = 1;
  r = Regs();
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_STREQ(h.op, "hlt");
  EXPECT_EQ(h.value, 0u);  // IF was set
  r.rflags = 0x2;
  ASSERT_TRUE(EmulateVe(ve, {}, r, h, kShared).has_value());
  EXPECT_EQ(h.value, 1u);
  EXPECT_EQ(r.rip, 0x1002u);
}

TEST(Ve, UnknownExitReasons) {
  FakeHost h;
  VeRegs r = Regs();
  VeInfo ve;
  ve.instr_length = 3;
  for (uint32_t reason : {0u, 1u, 18u /* vmcall */, 36u /* mwait */, 54u /* wbinvd */, 0xffffu}) {
    ve.exit_reason = reason;
    EXPECT_EQ(EmulateVe(ve, {}, r, h, kShared).error(), Errno::kEOPNOTSUPP) << reason;
  }
  EXPECT_EQ(h.calls, 0);
  EXPECT_EQ(r.rip, 0x1000u);
}

// DecodeVe alone is pure: the same decision without any host.
TEST(Ve, DecodeOnly) {
  VeRegs r = Regs();
  std::vector<uint8_t> bytes{0x44, 0x0f, 0xbf, 0x48, 0x08};  // movswl 8(%rax),%r9d
  Result<VeDecision> d = DecodeVe(Mmio(), bytes, r, kShared);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->op, VeOp::kMmioRead);
  EXPECT_EQ(d->size, 2);
  EXPECT_EQ(d->dest_size, 4);
  EXPECT_EQ(d->reg, kR9);
  EXPECT_EQ(d->extend, VeExtend::kSign);
  EXPECT_EQ(d->length, 5);
  EXPECT_EQ(d->address, kMmioGpa);
}

}  // namespace
}  // namespace ostd::tdx
