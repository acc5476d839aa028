#include "ostd/patch/insn.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace ostd::patch {
namespace {

Insn Decode(std::vector<uint8_t> bytes) {
  Result<Insn> r = DecodeInsn(bytes);
  EXPECT_TRUE(r.has_value());
  return r.value_or(Insn{});
}

Errno DecodeError(std::vector<uint8_t> bytes) {
  Result<Insn> r = DecodeInsn(bytes);
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? Errno{} : r.error();
}

TEST(Insn, Lengths) {
  EXPECT_EQ(Decode({0x55}).length, 1);                                 // push %rbp
  EXPECT_EQ(Decode({0x48, 0x89, 0xe5}).length, 3);                     // mov %rsp,%rbp
  EXPECT_EQ(Decode({0x48, 0x83, 0xec, 0x20}).length, 4);               // sub $0x20,%rsp
  EXPECT_EQ(Decode({0x48, 0x81, 0xec, 0, 1, 0, 0}).length, 7);         // sub $0x100,%rsp
  EXPECT_EQ(Decode({0x66, 0x81, 0xc0, 0x34, 0x12}).length, 5);         // add $0x1234,%ax
  EXPECT_EQ(Decode({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}).length, 10);  // movabs
  EXPECT_EQ(Decode({0xb8, 1, 0, 0, 0}).length, 5);                     // mov $1,%eax
  EXPECT_EQ(Decode({0x8b, 0x44, 0x24, 0x08}).length, 4);               // mov 8(%rsp),%eax
  EXPECT_EQ(Decode({0x8b, 0x84, 0x24, 0, 1, 0, 0}).length, 7);         // disp32 + SIB
  EXPECT_EQ(Decode({0x8b, 0x04, 0x25, 0, 0, 0, 0}).length, 7);         // SIB, no base
  EXPECT_EQ(Decode({0xc7, 0x45, 0xf8, 1, 0, 0, 0}).length, 7);         // movl $1,-8(%rbp)
  EXPECT_EQ(Decode({0xf6, 0x07, 0x01}).length, 3);                     // testb $1,(%rdi)
  EXPECT_EQ(Decode({0xf7, 0xd8}).length, 2);                           // neg %eax
  EXPECT_EQ(Decode({0xf7, 0xc0, 1, 0, 0, 0}).length, 6);               // test $1,%eax
  EXPECT_EQ(Decode({0x0f, 0x1f, 0x44, 0x00, 0x00}).length, 5);         // nopl
  EXPECT_EQ(Decode({0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}).length, 10);
  EXPECT_EQ(Decode({0x0f, 0xa2}).length, 2);                          // cpuid
  EXPECT_EQ(Decode({0x0f, 0xb6, 0xc0}).length, 3);                    // movzbl
  EXPECT_EQ(Decode({0x66, 0x0f, 0x38, 0x00, 0xc1}).length, 5);        // pshufb
  EXPECT_EQ(Decode({0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08}).length, 6);  // palignr
  EXPECT_EQ(Decode({0xc5, 0xf8, 0x77}).length, 3);                    // vzeroupper
  EXPECT_EQ(Decode({0xc5, 0xfd, 0x6f, 0x07}).length, 4);              // vmovdqa (%rdi),%ymm0
  EXPECT_EQ(Decode({0xc4, 0xe3, 0x7d, 0x39, 0xc1, 0x01}).length, 6);  // vextracti128
  EXPECT_EQ(Decode({0x62, 0xf1, 0x7c, 0x48, 0x10, 0x07}).length, 6);  // vmovups (%rdi),%zmm0
  EXPECT_EQ(Decode({0xc8, 0x10, 0x00, 0x00}).length, 4);              // enter
  EXPECT_EQ(Decode({0xa1, 1, 2, 3, 4, 5, 6, 7, 8}).length, 9);        // movabs moffs,%eax
  EXPECT_EQ(Decode({0x8f, 0xc0}).length, 2);                          // pop %rax (8F /0)
  EXPECT_EQ(Decode({0xf3, 0x0f, 0x1e, 0xfa}).length, 4);              // endbr64
  EXPECT_EQ(Decode({0x0f, 0x20, 0xd8}).length, 3);                    // mov %cr3,%rax
  EXPECT_EQ(Decode({0xf3, 0x48, 0xa5}).length, 3);                    // rep movsq
}

TEST(Insn, RipRelative) {
  Insn i = Decode({0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00});  // mov 0x10(%rip),%rax
  EXPECT_TRUE(i.rip_relative);
  EXPECT_EQ(i.disp_offset, 3);
  EXPECT_EQ(i.length, 7);
  i = Decode({0xc7, 0x05, 1, 0, 0, 0, 2, 0, 0, 0});  // movl $2,1(%rip)
  EXPECT_TRUE(i.rip_relative);
  EXPECT_EQ(i.disp_offset, 2);
  EXPECT_EQ(i.length, 10);
  EXPECT_FALSE(Decode({0x8b, 0x04, 0x25, 0, 0, 0, 0}).rip_relative);  // absolute, via SIB
}

TEST(Insn, Branches) {
  Insn i = Decode({0xe8, 0x10, 0, 0, 0});
  EXPECT_EQ(i.kind, InsnKind::kCallRel);
  EXPECT_EQ(i.rel, 0x10);
  i = Decode({0xe9, 0xfb, 0xff, 0xff, 0xff});
  EXPECT_EQ(i.kind, InsnKind::kJmpRel);
  EXPECT_EQ(i.rel, -5);
  i = Decode({0xeb, 0xfe});
  EXPECT_EQ(i.kind, InsnKind::kJmpRel);
  EXPECT_EQ(i.rel, -2);
  i = Decode({0x74, 0x05});
  EXPECT_EQ(i.kind, InsnKind::kJccRel);
  EXPECT_EQ(i.cond, 4);
  i = Decode({0x0f, 0x8f, 0x00, 0x01, 0, 0});
  EXPECT_EQ(i.kind, InsnKind::kJccRel);
  EXPECT_EQ(i.cond, 0xf);
  EXPECT_EQ(i.rel, 0x100);
  EXPECT_EQ(Decode({0xe2, 0xfe}).kind, InsnKind::kLoopRel);
  EXPECT_EQ(Decode({0xe3, 0x02}).kind, InsnKind::kLoopRel);
  EXPECT_EQ(Decode({0xc3}).kind, InsnKind::kRet);
  i = Decode({0xc2, 0x10, 0x00});
  EXPECT_EQ(i.kind, InsnKind::kRet);
  EXPECT_EQ(i.imm, 0x10);
  EXPECT_EQ(Decode({0xf3, 0xc3}).kind, InsnKind::kRet);
  i = Decode({0x41, 0xff, 0xd3});  // call *%r11
  EXPECT_EQ(i.kind, InsnKind::kCallReg);
  EXPECT_EQ(i.reg, 11);
  i = Decode({0xff, 0xe0});  // jmp *%rax
  EXPECT_EQ(i.kind, InsnKind::kJmpReg);
  EXPECT_EQ(i.reg, 0);
  EXPECT_EQ(Decode({0xff, 0x25, 0, 0, 0, 0}).kind, InsnKind::kUnsupported);  // jmp *(%rip)
  EXPECT_EQ(Decode({0xff, 0x10}).kind, InsnKind::kUnsupported);              // call *(%rax)
  EXPECT_EQ(Decode({0x66, 0xe9, 0, 0, 0, 0}).kind, InsnKind::kUnsupported);
  EXPECT_EQ(Decode({0xcb}).kind, InsnKind::kUnsupported);  // lret
}

TEST(Insn, FlagInstructions) {
  EXPECT_EQ(Decode({0xfa}).kind, InsnKind::kCli);
  EXPECT_EQ(Decode({0xfb}).kind, InsnKind::kSti);
  EXPECT_EQ(Decode({0x9c}).kind, InsnKind::kPushf);
  EXPECT_EQ(Decode({0x9d}).kind, InsnKind::kPopf);
}

TEST(Insn, Unprobeable) {
  for (std::vector<uint8_t> b : std::vector<std::vector<uint8_t>>{{0xcc},
                                                                  {0xcd, 0x80},
                                                                  {0xf1},
                                                                  {0xcf},
                                                                  {0x48, 0xcf},
                                                                  {0xf4},
                                                                  {0x0f, 0x05},
                                                                  {0x0f, 0x07},
                                                                  {0x0f, 0x0b},
                                                                  {0x0f, 0x22, 0xd8},
                                                                  {0x0f, 0x23, 0xc0},
                                                                  {0x8e, 0xd0},
                                                                  {0x0f, 0x01, 0xf8},
                                                                  {0x0f, 0x01, 0xc1},
                                                                  {0x0f, 0x78, 0xc0},
                                                                  {0xc7, 0xf8, 0, 0, 0, 0},
                                                                  {0x0f, 0xc7, 0x37}}) {
    EXPECT_EQ(Decode(b).kind, InsnKind::kUnprobeable) << int{b[0]};
  }
  EXPECT_EQ(Decode({0x0f, 0x01, 0x38}).kind, InsnKind::kOther);  // invlpg (%rax)
}

TEST(Insn, Errors) {
  EXPECT_EQ(DecodeError({}), Errno::kEILSEQ);
  EXPECT_EQ(DecodeError({0x48}), Errno::kEILSEQ);                    // REX alone
  EXPECT_EQ(DecodeError({0x48, 0x8b}), Errno::kEILSEQ);              // no ModRM
  EXPECT_EQ(DecodeError({0x48, 0x8b, 0x05, 0, 0}), Errno::kEILSEQ);  // short disp
  EXPECT_EQ(DecodeError({0xe8, 0, 0}), Errno::kEILSEQ);              // short rel32
  EXPECT_EQ(DecodeError({0x06}), Errno::kEILSEQ);                    // push %es (invalid)
  EXPECT_EQ(DecodeError({0x9a, 0, 0, 0, 0, 0, 0}), Errno::kEILSEQ);
  EXPECT_EQ(DecodeError({0xd6}), Errno::kEILSEQ);
  EXPECT_EQ(DecodeError({0x0f, 0x04}), Errno::kEILSEQ);
  EXPECT_EQ(DecodeError({0xfe, 0xd0}), Errno::kEILSEQ);
  std::vector<uint8_t> long_insn(14, 0x66);
  long_insn.push_back(0x90);
  EXPECT_EQ(Decode(long_insn).length, 15);
  long_insn.insert(long_insn.begin(), 0x66);  // 16 bytes
  EXPECT_EQ(DecodeError(long_insn), Errno::kEILSEQ);
}

TEST(Insn, DecodeAtFindsBoundaries) {
  // push %rbp; mov %rsp,%rbp; sub $0x20,%rsp; call rel32; leave; ret
  std::vector<uint8_t> fn = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20,
                             0xe8, 0,    0,    0,    0,    0xc9, 0xc3};
  for (uint64_t off : {0, 1, 4, 8, 13, 14}) EXPECT_TRUE(DecodeAt(fn, off).has_value()) << off;
  for (uint64_t off : {2, 3, 5, 7, 9, 12}) {
    Result<Insn> r = DecodeAt(fn, off);
    ASSERT_FALSE(r.has_value()) << off;
    EXPECT_EQ(r.error(), Errno::kEILSEQ) << off;
  }
  Result<Insn> past = DecodeAt(fn, fn.size());
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error(), Errno::kEINVAL);
  EXPECT_EQ(DecodeAt(fn, 8)->kind, InsnKind::kCallRel);
}

TEST(Insn, Conditions) {
  constexpr uint64_t kCf = 1, kZf = 1 << 6, kSf = 1 << 7, kOf = 1 << 11, kPf = 1 << 2;
  EXPECT_TRUE(ConditionHolds(0x4, kZf));   // je
  EXPECT_FALSE(ConditionHolds(0x5, kZf));  // jne
  EXPECT_TRUE(ConditionHolds(0x2, kCf));   // jb
  EXPECT_TRUE(ConditionHolds(0x7, 0));     // ja
  EXPECT_FALSE(ConditionHolds(0x7, kCf));
  EXPECT_TRUE(ConditionHolds(0xc, kSf));  // jl: SF != OF
  EXPECT_FALSE(ConditionHolds(0xc, kSf | kOf));
  EXPECT_TRUE(ConditionHolds(0xe, kZf));        // jle
  EXPECT_TRUE(ConditionHolds(0xf, kSf | kOf));  // jg
  EXPECT_TRUE(ConditionHolds(0xa, kPf));        // jp
  EXPECT_TRUE(ConditionHolds(0x0, kOf));        // jo
  EXPECT_TRUE(ConditionHolds(0x9, 0));          // jns
}

TEST(Insn, OperandDetails) {
  // mov %ecx,0x10(%rax): ModRM, no prefix, no immediate.
  Insn a = Decode({0x89, 0x48, 0x10});
  EXPECT_TRUE(a.has_modrm);
  EXPECT_EQ(a.modrm, 0x48);
  EXPECT_EQ(a.prefixes, 0);
  EXPECT_EQ(a.rex, 0);
  EXPECT_EQ(a.imm_size, 0);
  // movw $0x1234,%fs:(%r9): segment + operand size prefixes, REX.B, imm16 at 5.
  Insn b = Decode({0x64, 0x66, 0x41, 0xc7, 0x01, 0x34, 0x12});
  EXPECT_EQ(b.prefixes, kPrefixSegment | kPrefixOpsize);
  EXPECT_EQ(b.rex, 0x41);
  EXPECT_EQ(b.modrm, 0x01);
  EXPECT_EQ(b.imm_offset, 5);
  EXPECT_EQ(b.imm_size, 2);
  // movzbl (%rdx),%r10d: 0F map, REX.R.
  Insn c = Decode({0x44, 0x0f, 0xb6, 0x12});
  EXPECT_EQ(c.map, 1);
  EXPECT_EQ(c.opcode, 0xb6);
  EXPECT_EQ(c.rex, 0x44);
  EXPECT_EQ(c.modrm, 0x12);
  // lock addl $1,(%rax); rep movsb; repne scasb; 67-prefixed mov.
  EXPECT_EQ(Decode({0xf0, 0x83, 0x00, 0x01}).prefixes, kPrefixLock);
  EXPECT_EQ(Decode({0xf0, 0x83, 0x00, 0x01}).imm_offset, 3);
  EXPECT_EQ(Decode({0xf3, 0xa4}).prefixes, kPrefixRep);
  EXPECT_FALSE(Decode({0xf3, 0xa4}).has_modrm);
  EXPECT_EQ(Decode({0xf2, 0xae}).prefixes, kPrefixRepne);
  EXPECT_EQ(Decode({0x67, 0x8b, 0x00}).prefixes, kPrefixAddrsize);
  // movabs $imm64,%rax: 8-byte immediate; mov %cr3,%rax records the register ModRM.
  EXPECT_EQ(Decode({0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}).imm_size, 8);
  EXPECT_EQ(Decode({0x0f, 0x20, 0xd8}).modrm, 0xd8);
  // A relative branch's displacement is recorded as the immediate.
  Insn j = Decode({0xe8, 0, 0, 0, 0});
  EXPECT_EQ(j.imm_offset, 1);
  EXPECT_EQ(j.imm_size, 4);
}

}  // namespace
}  // namespace ostd::patch
