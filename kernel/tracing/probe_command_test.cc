// Host tests: the kprobe_events grammar, errors and caret positions as
// Linux 6.1's trace_kprobe.
#include "kernel/tracing/probe_command.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

namespace kernel::tracing {
namespace {

using ostd::Errno;

// The first `n` chars of `buf`.
template <size_t N>
std::string_view View(const std::array<char, N>& buf, size_t n) {
  return std::string_view(std::span<const char>(buf).first(n));
}

ProbeCommand Parse(std::string_view line) {
  ProbeFailure f;
  ostd::Result<ProbeCommand> c = ParseProbeCommand(line, f);
  EXPECT_TRUE(c.has_value()) << line << ": " << ProbeErrorMessage(f.code);
  return c ? std::move(*c) : ProbeCommand{};
}

// The failure for `line`.
ProbeFailure Fail(std::string_view line) {
  ProbeFailure f;
  ostd::Result<ProbeCommand> c = ParseProbeCommand(line, f);
  EXPECT_FALSE(c.has_value()) << line;
  if (!c) EXPECT_EQ(c.error(), f.err) << line;
  return f;
}

void ExpectError(std::string_view line, ProbeError code, uint32_t word, uint32_t offset) {
  ProbeFailure f = Fail(line);
  EXPECT_EQ(f.err, Errno::kEINVAL) << line;
  EXPECT_EQ(f.code, code) << line << ": got " << ProbeErrorMessage(f.code);
  EXPECT_EQ(f.word, word) << line;
  EXPECT_EQ(f.offset, offset) << line;
}

std::string_view Name(const ProbeCommand& c, std::array<char, kMaxEventNameLen>& buf) {
  return View(buf, DefaultEventName(c, buf));
}

TEST(ProbeCommand, IssueExample) {
  ProbeCommand c = Parse("p:myopen do_sys_openat2 dfd=%di flags=%dx:x32");
  EXPECT_EQ(c.kind, ProbeKind::kKprobe);
  EXPECT_EQ(c.group, "");
  EXPECT_EQ(c.event, "myopen");
  EXPECT_EQ(c.symbol, "do_sys_openat2");
  EXPECT_EQ(c.offset, 0u);
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[0].name, "dfd");
  EXPECT_EQ(c.args[0].base, FetchBase::kReg);
  EXPECT_EQ(RegisterName(c.args[0].reg), "di");
  EXPECT_EQ(c.args[0].type, FetchType::kX64);
  EXPECT_EQ(c.args[1].name, "flags");
  EXPECT_EQ(RegisterName(c.args[1].reg), "dx");
  EXPECT_EQ(c.args[1].type, FetchType::kX32);
}

TEST(ProbeCommand, KretprobeWithMaxactiveAndGroup) {
  ProbeCommand c = Parse("r16:mygrp/myret vfs_read $retval ret2=$retval:s32");
  EXPECT_EQ(c.kind, ProbeKind::kKretprobe);
  EXPECT_EQ(c.maxactive, 16u);
  EXPECT_EQ(c.group, "mygrp");
  EXPECT_EQ(c.event, "myret");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[0].base, FetchBase::kRetval);
  std::array<char, kMaxArgNameLen + 1> n{};
  EXPECT_EQ(View(n, ArgName(c.args[0], n)), "arg1");
  EXPECT_EQ(c.args[1].type, FetchType::kS32);
  // "r" with "+0" is an entry too; "GRP." separates like "GRP/".
  ProbeCommand d = Parse("r:g.e vfs_write+0");
  EXPECT_EQ(d.group, "g");
  EXPECT_EQ(d.event, "e");
}

TEST(ProbeCommand, DefaultEventNames) {
  std::array<char, kMaxEventNameLen> buf{};
  EXPECT_EQ(Name(Parse("p vfs_read+16"), buf), "p_vfs_read_16");
  EXPECT_EQ(Name(Parse("r vfs_read"), buf), "r_vfs_read_0");
  EXPECT_EQ(Name(Parse("p 0xffffffff81000000"), buf), "p_0xffffffff81000000");
  EXPECT_EQ(Name(Parse("p mymod:my.func"), buf), "p_mymod_my_func_0");
  ProbeCommand g = Parse("p:grp/ vfs_read");  // group only: default event name
  EXPECT_EQ(g.group, "grp");
  EXPECT_EQ(g.event, "");
}

TEST(ProbeCommand, EveryFetchKind) {
  ProbeCommand c = Parse(
      "p:e f a=%ax b=@0x1000 c=@jiffies+8 d=$stack3 e=$stack f=$arg2 g=$comm "
      "h=+8(%si):u16 i=-0x10(+u4(%di)):string j=\\0x20 k=\\\"hi\":string l=@sym-4:symbol");
  ASSERT_EQ(c.args.size(), 12u);
  EXPECT_EQ(c.args[0].base, FetchBase::kReg);
  EXPECT_EQ(c.args[1].base, FetchBase::kMemory);
  EXPECT_EQ(c.args[1].value, 0x1000u);
  EXPECT_EQ(c.args[2].base, FetchBase::kSymbol);
  EXPECT_EQ(c.args[2].symbol, "jiffies");
  EXPECT_EQ(c.args[2].offset, 8);
  EXPECT_EQ(c.args[3].base, FetchBase::kStackN);
  EXPECT_EQ(c.args[3].value, 3u);
  EXPECT_EQ(c.args[4].base, FetchBase::kStack);
  EXPECT_EQ(c.args[5].base, FetchBase::kArgN);
  EXPECT_EQ(c.args[5].value, 2u);
  EXPECT_EQ(c.args[6].base, FetchBase::kComm);
  EXPECT_EQ(c.args[6].type, FetchType::kString);
  EXPECT_EQ(c.args[7].deref_count, 1u);
  EXPECT_EQ(c.args[7].deref[0], 8);
  EXPECT_EQ(c.args[7].type, FetchType::kU16);
  ASSERT_EQ(c.args[8].deref_count, 2u);
  EXPECT_EQ(c.args[8].deref[0], 4);  // innermost first
  EXPECT_TRUE(c.args[8].user[0]);
  EXPECT_EQ(c.args[8].deref[1], -16);
  EXPECT_FALSE(c.args[8].user[1]);
  EXPECT_EQ(c.args[8].type, FetchType::kString);
  EXPECT_EQ(c.args[9].base, FetchBase::kImm);
  EXPECT_EQ(c.args[9].value, 0x20u);
  EXPECT_EQ(c.args[10].base, FetchBase::kImmStr);
  EXPECT_EQ(c.args[10].symbol, "hi");
  EXPECT_EQ(c.args[11].offset, -4);
  EXPECT_EQ(c.args[11].type, FetchType::kSymbol);
}

TEST(ProbeCommand, AllTypesAndRegisters) {
  for (std::string_view t : {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "x8", "x16",
                             "x32", "x64", "symbol", "char"}) {
    std::array<char, 64> line{};
    std::string_view head = "p f %ax:";
    size_t n = 0;
    for (char ch : head) line[n++] = ch;
    for (char ch : t) line[n++] = ch;
    ProbeCommand c = Parse(View(line, n));
    ASSERT_EQ(c.args.size(), 1u);
    EXPECT_EQ(FetchTypeName(c.args[0].type), t);
  }
  for (std::string_view r :
       {"ax",  "bx",  "cx",  "dx",  "si",  "di", "bp",    "sp", "r8", "r9",     "r10",
        "r11", "r12", "r13", "r14", "r15", "ip", "flags", "cs", "ss", "orig_ax"}) {
    ostd::Result<uint8_t> i = RegisterIndex(r);
    ASSERT_TRUE(i.has_value()) << r;
    EXPECT_EQ(RegisterName(*i), r);
  }
  EXPECT_EQ(*RegisterIndex("r15"), 0u);  // pt_regs order
  EXPECT_EQ(*RegisterIndex("di"), 14u);
  EXPECT_EQ(*RegisterIndex("ss"), 20u);
  EXPECT_EQ(FetchTypeSize(FetchType::kU16), 2u);
  EXPECT_EQ(FetchTypeSize(FetchType::kString), 4u);
}

TEST(ProbeCommand, ReturnSuffix) {
  ProbeCommand c = Parse("p:e vfs_read%return r=$retval");
  EXPECT_EQ(c.kind, ProbeKind::kKretprobe);
  EXPECT_EQ(c.symbol, "vfs_read");
  ASSERT_EQ(c.args.size(), 1u);
  EXPECT_EQ(c.args[0].base, FetchBase::kRetval);
  ProbeCommand m = Parse("p mod:f%return");
  EXPECT_EQ(m.kind, ProbeKind::kKretprobe);
  EXPECT_EQ(m.module, "mod");
  EXPECT_EQ(m.symbol, "f");
  std::array<char, kMaxEventNameLen> name{};
  uint32_t n = DefaultEventName(m, name);
  EXPECT_EQ(std::string_view(std::span<const char>(name).first(n)), "r_mod_f_0");
  // Linux's errors: another suffix (the caret at its '%'); an offset.
  ExpectError("p vfs_read%hoge", ProbeError::kBadAddrSuffix, 1, 8);
  ExpectError("p vfs_read+10%return", ProbeError::kBadRetprobe, 1, 0);
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kBadAddrSuffix), "Invalid probed address suffix");
}

TEST(ProbeCommand, Bitfields) {
  ProbeCommand c = Parse("p f a=$stack0:b4@4/64 b=%ax:b1@7/8 c=@0x10:b32@0/32 d=%dx:b64@0/64");
  ASSERT_EQ(c.args.size(), 4u);
  EXPECT_EQ(c.args[0].type, FetchType::kU64);  // the container
  EXPECT_EQ(c.args[0].bf_width, 4u);
  EXPECT_EQ(c.args[0].bf_offset, 4u);
  EXPECT_EQ(c.args[1].type, FetchType::kU8);
  EXPECT_EQ(c.args[1].bf_offset, 7u);
  EXPECT_EQ(c.args[2].type, FetchType::kU32);
  EXPECT_EQ(FetchTypeSize(c.args[2].type), 4u);
  EXPECT_EQ(FetchTypeName(c.args[3].type), "u64");  // named by its container
  EXPECT_EQ(c.args[3].bf_width, 64u);
  // Linux's BAD_BITFIELD, the caret at the type: a width of 0, a field
  // past its container, a container that is not a type size, no number.
  ExpectError("p:e f %di:b0@0/8", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f %di:b4@6/8", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f %di:b9@0/8", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f %di:b4@4/12", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f @11:b10@a/16", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f %di:b4/8@4", ProbeError::kBadBitfield, 2, 4);
  ExpectError("p:e f %di:b4@4", ProbeError::kBadBitfield, 2, 4);
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kBadBitfield), "Invalid bitfield");
}

TEST(ProbeCommand, Delete) {
  ProbeCommand c = Parse("-:mygrp/myev");
  EXPECT_EQ(c.kind, ProbeKind::kDelete);
  EXPECT_EQ(c.group, "mygrp");
  EXPECT_EQ(c.event, "myev");
  EXPECT_EQ(Parse("-:ev").event, "ev");
  EXPECT_EQ(Fail("-:").code, ProbeError::kNoEventName);
  EXPECT_EQ(Fail("-ev").err, Errno::kEINVAL);
}

TEST(ProbeCommand, HeaderErrors) {
  ExpectError("p4:e f", ProbeError::kMaxactNoKprobe, 0, 1);
  ExpectError("r0:e f", ProbeError::kBadMaxact, 0, 1);
  ExpectError("r0x:e f", ProbeError::kBadMaxact, 0, 1);
  ExpectError("r4097 f", ProbeError::kMaxactTooBig, 0, 1);
  EXPECT_EQ(Parse("r4096 f").maxactive, 4096u);
  ExpectError("p:/e f", ProbeError::kNoGroupName, 0, 2);
  ExpectError("p:1g/e f", ProbeError::kBadGroupName, 0, 2);
  ExpectError("p: f", ProbeError::kNoEventName, 0, 2);
  ExpectError("p:g/1e f", ProbeError::kBadEventName, 0, 4);
  ExpectError("p:e-x f", ProbeError::kBadEventName, 0, 2);
  ExpectError("p:a12345678901234567890123456789012345678901234567890123456789012345 f",
              ProbeError::kEventTooLong, 0, 2);
  ExpectError("p:e f+zz", ProbeError::kBadProbeAddr, 1, 0);
  ExpectError("p:e f-4", ProbeError::kBadProbeAddr, 1, 0);
  ExpectError("r:e f+4", ProbeError::kBadRetprobe, 1, 0);
  // No site, an unknown command, nothing: EINVAL without a log entry.
  EXPECT_EQ(Fail("p:e").code, ProbeError::kNone);
  EXPECT_EQ(Fail("x:e f").code, ProbeError::kNone);
  EXPECT_EQ(Fail("   ").code, ProbeError::kNone);
}

TEST(ProbeCommand, ArgumentErrors) {
  ExpectError("p:e f $retval", ProbeError::kRetvalOnProbe, 2, 0);
  ExpectError("p:e f a=$stack2049", ProbeError::kBadStackNum, 2, 2);
  ExpectError("p:e f $stackx", ProbeError::kBadStackNum, 2, 0);
  ExpectError("p:e f $arg0", ProbeError::kBadArgNum, 2, 0);
  ExpectError("r:e f $arg1", ProbeError::kBadVar, 2, 0);  // $argN: function entry kprobes only
  ExpectError("p:e f+4 $arg1", ProbeError::kBadVar, 2, 0);
  ExpectError("p:e f $foo", ProbeError::kBadVar, 2, 0);
  ExpectError("p:e f %xx", ProbeError::kBadRegName, 2, 0);
  ExpectError("p:e f %fs", ProbeError::kBadRegName, 2, 0);
  ExpectError("p:e f @0xzz", ProbeError::kBadMemAddr, 2, 0);
  ExpectError("p:e f @sym+zz", ProbeError::kBadMemAddr, 2, 0);
  ExpectError("p:e f \\zz", ProbeError::kBadImm, 2, 0);
  ExpectError("p:e f \\\"abc", ProbeError::kImmstrNoClose, 2, 0);
  ExpectError("p:e f +8%di", ProbeError::kDerefNeedBrace, 2, 0);
  ExpectError("p:e f +zz(%di)", ProbeError::kBadDerefOffs, 2, 0);
  ExpectError("p:e f +8(%di", ProbeError::kDerefOpenBrace, 2, 6);
  ExpectError("p:e f +8($comm)", ProbeError::kCommCantDeref, 2, 3);  // under $comm
  // 15 nested dereferences fit in the 63 bytes an argument may have.
  EXPECT_EQ(Parse("p:e f +0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(%di)))))))))))))))")
                .args[0]
                .deref_count,
            15u);
  ExpectError("p:e f 12", ProbeError::kBadFetchArg, 2, 0);
  ExpectError("p:e f %di:u128", ProbeError::kBadType, 2, 4);
  ExpectError("p:e f %di:u8[4]", ProbeError::kBadType, 2, 4);  // arrays: not in Keel
  ExpectError("p:e f %di:string", ProbeError::kBadString, 2, 4);
  ExpectError("p:e f $comm:u32", ProbeError::kBadType, 2, 6);
  ExpectError("p:e f a234567890123456789012345678901234=%di", ProbeError::kArgNameTooLong, 2, 0);
  ExpectError("p:e f =%di", ProbeError::kNoArgName, 2, 0);
  ExpectError("p:e f 1a=%di", ProbeError::kBadArgName, 2, 0);
  ExpectError("p:e f a=%di a=%si", ProbeError::kUsedArgName, 3, 0);
  ExpectError("p:e f %di arg1=%si", ProbeError::kUsedArgName, 3, 0);
  ExpectError("p:e f common_pid=%si", ProbeError::kUsedArgName, 2, 0);
  ExpectError("p:e f a=", ProbeError::kNoArgBody, 2, 2);
  ExpectError("p:e f a=+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(%di))))))))))))))):u64",
              ProbeError::kArgTooLong, 2, 2);
}

TEST(ProbeCommand, TooManyArguments) {
  std::array<char, 1024> line{};
  size_t n = 0;
  for (char ch : std::string_view("p:e f")) line[n++] = ch;
  for (int i = 0; i < 129; ++i) {
    for (char ch : std::string_view(" %di")) line[n++] = ch;
  }
  ProbeFailure f = Fail(View(line, n));
  EXPECT_EQ(f.err, Errno::kE2BIG);
  EXPECT_EQ(f.code, ProbeError::kNone);
}

TEST(ProbeCommand, Messages) {
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kBadRetprobe),
            "Retprobe address must be an function entry");
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kFailRegProbe), "Failed to register probe event");
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kSameProbe),
            "There is already the exact same probe event");
  EXPECT_EQ(ProbeErrorMessage(ProbeError::kNone), "");
}

}  // namespace
}  // namespace kernel::tracing
