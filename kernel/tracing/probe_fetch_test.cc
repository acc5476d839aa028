// Host tests: fetch arguments evaluated and printed as Linux 6.1's
// trace_probe, over a fake register set and memory.
#include "kernel/tracing/probe_fetch.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "gtest/gtest.h"

#include "kernel/tracing/probe_command.h"

namespace kernel::tracing {
namespace {

constexpr uint64_t kKernelBase = 0x1000;
constexpr uint64_t kUserBase = 0x8000;

class FakeContext final : public FetchContext {
 public:
  FakeContext() {
    for (uint8_t i = 0; i < regs.size(); ++i) regs[i] = 0;
  }
  uint64_t Reg(uint8_t index) const override { return regs[index]; }
  ostd::Status ReadKernel(uint64_t addr, std::span<uint8_t> out) const override {
    return Read(kernel, kKernelBase, addr, out);
  }
  ostd::Status ReadUser(uint64_t addr, std::span<uint8_t> out) const override {
    return Read(user, kUserBase, addr, out);
  }
  std::optional<uint64_t> SymbolAddress(std::string_view name) const override {
    if (name == "jiffies") return kKernelBase + 0x10;
    return std::nullopt;
  }
  void PrintSymbol(uint64_t addr, ostd::FormatSink& out) const override {
    if (addr >= kKernelBase && addr < kKernelBase + 0x40) {
      ostd::FormatTo(out, "text_fn+{:#x}/0x40", addr - kKernelBase);
    } else {
      ostd::FormatTo(out, "{:#x}", addr);
    }
  }
  std::string_view Comm() const override { return "sh"; }

  void Put64(std::array<uint8_t, 256>& mem, uint64_t off, uint64_t v) {
    for (uint64_t i = 0; i < 8; ++i) mem[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }

  std::array<uint64_t, 21> regs{};
  std::array<uint8_t, 256> kernel{};
  std::array<uint8_t, 256> user{};

 private:
  static ostd::Status Read(const std::array<uint8_t, 256>& mem, uint64_t base, uint64_t addr,
                           std::span<uint8_t> out) {
    if (addr < base || addr + out.size() > base + mem.size()) {
      return ostd::Err(ostd::Errno::kEFAULT);
    }
    for (size_t i = 0; i < out.size(); ++i) out[i] = mem[addr - base + i];
    return {};
  }
};

// Prints every argument of `command` against `ctx`.
std::string_view Print(std::string_view command, const FakeContext& ctx,
                       std::array<char, 512>& buf) {
  ProbeFailure f;
  ostd::Result<ProbeCommand> c = ParseProbeCommand(command, f);
  EXPECT_TRUE(c.has_value()) << command << ": " << ProbeErrorMessage(f.code);
  ostd::BufferSink out(buf);
  if (c) {
    for (const FetchArg& a : c->args) PrintFetchArg(a, ctx, out);
  }
  return out.view();
}

constexpr uint8_t kDi = 14, kSi = 13, kDx = 12, kAx = 10, kSp = 19;

TEST(ProbeFetch, RegistersAndTypes) {
  FakeContext ctx;
  ctx.regs[kDi] = 0xffffff9c;
  ctx.regs[kDx] = 0x8000;
  ctx.regs[kSi] = 0xfffffffffffffffe;
  std::array<char, 512> buf{};
  EXPECT_EQ(Print("p:e f dfd=%di flags=%dx:x32", ctx, buf), " dfd=0xffffff9c flags=0x8000");
  EXPECT_EQ(Print("p:e f a=%si:s64 b=%si:s8 c=%si:u8 d=%si:x16 e=%di:s32", ctx, buf),
            " a=-2 b=-2 c=254 d=0xfffe e=-100");
  EXPECT_EQ(Print("p:e f %di:u32 %dx", ctx, buf), " arg1=4294967196 arg2=0x8000");
  // Bitfields print unsigned: 0xffffff9c's bits 4..7 are 9; bit 15 of 0x8000
  // is 1; the whole 16-bit container of dx.
  EXPECT_EQ(Print("p:e f a=%di:b4@4/64 b=%dx:b1@15/16 c=%dx:b16@0/16 d=%si:b64@0/64", ctx, buf),
            " a=9 b=1 c=32768 d=18446744073709551614");
}

TEST(ProbeFetch, BitfieldsFromMemory) {
  FakeContext ctx;
  ctx.regs[kSp] = kKernelBase + 0x80;
  ctx.Put64(ctx.kernel, 0x80, 0x12345678abcdef01);  // $stack0
  std::array<char, 512> buf{};
  // As Linux's selftest: $stack0 in each container size, and its bits 4..7.
  EXPECT_EQ(Print("p:e f $stack0:x64 $stack0:b4@4/64 $stack0:b4@4/8 $stack0:b8@56/64", ctx, buf),
            " arg1=0x12345678abcdef01 arg2=0 arg3=0 arg4=18");
  EXPECT_EQ(Print("p:e f $stack0:b4@8/16 $stack0:b3@29/32", ctx, buf), " arg1=15 arg2=5");
}

TEST(ProbeFetch, MemoryStackArgsAndDereference) {
  FakeContext ctx;
  ctx.regs[kSp] = kKernelBase + 0x80;
  ctx.Put64(ctx.kernel, 0x80 + 8, 0x1234);          // $stack1 / first stack argument
  ctx.Put64(ctx.kernel, 0x10, 0xabcdef);            // jiffies
  ctx.Put64(ctx.kernel, 0x20, kKernelBase + 0x30);  // a pointer
  ctx.Put64(ctx.kernel, 0x38, 77);
  ctx.regs[kDi] = kKernelBase + 0x20;
  ctx.regs[8] = 5;  // r9: the sixth argument
  std::array<char, 512> buf{};
  EXPECT_EQ(Print("p:e f $stack1 $stack", ctx, buf), " arg1=0x1234 arg2=0x1080");
  EXPECT_EQ(Print("p:e f a=$arg6 b=$arg7:u64", ctx, buf), " a=0x5 b=4660");
  EXPECT_EQ(Print("p:e f j=@jiffies:u32 k=@0x1010:u8 l=@jiffies+1:x8", ctx, buf),
            " j=11259375 k=239 l=0xcd");
  // +8(+0(%di)): read the pointer at di, then 8 bytes at pointer + 8.
  EXPECT_EQ(Print("p:e f v=+8(+0(%di)):u64 w=+0(%di)", ctx, buf), " v=77 w=0x1030");
  // +0(@addr): the word at addr is the pointer.
  EXPECT_EQ(Print("p:e f v=+8(@0x1020):u16", ctx, buf), " v=77");
}

TEST(ProbeFetch, FaultsPrintFault) {
  FakeContext ctx;
  ctx.regs[kDi] = 0xdead0000;
  ctx.regs[kSp] = 0x10;
  std::array<char, 512> buf{};
  EXPECT_EQ(Print("p:e f a=+0(%di) b=@0x99999:u8 c=@nosuch d=$stack2 e=+0(%di):string", ctx, buf),
            " a=(fault) b=(fault) c=(fault) d=(fault) e=(fault)");
  FetchArg a;
  a.base = FetchBase::kReg;
  a.reg = kDi;
  a.deref_count = 1;
  EXPECT_EQ(EvaluateFetchArg(a, ctx).error(), ostd::Errno::kEFAULT);
}

TEST(ProbeFetch, StringsSymbolsCommAndChar) {
  FakeContext ctx;
  uint64_t at = 0x40;
  for (char c : std::string_view("hello")) ctx.kernel[at++] = static_cast<uint8_t>(c);
  ctx.user[0] = 'u';
  ctx.user[1] = 's';
  ctx.regs[kDi] = kKernelBase + 0x40;
  ctx.regs[kSi] = kUserBase;
  ctx.regs[kAx] = kKernelBase + 0x18;
  ctx.regs[kDx] = 'A';
  std::array<char, 512> buf{};
  EXPECT_EQ(Print("p:e f s=+0(%di):string u=+0(%si):ustring v=+u0(%si):string", ctx, buf),
            " s=\"hello\" u=\"us\" v=\"us\"");
  EXPECT_EQ(Print("r:e f $retval:symbol c=$comm i=\\\"imm\" ch=%dx:char", ctx, buf),
            " arg1=text_fn+0x18/0x40 c=\"sh\" i=\"imm\" ch='A'");
  // A string running off the readable memory before its NUL is a fault, as
  // strncpy_from_kernel_nofault makes it on Linux.
  ctx.regs[kDi] = kKernelBase + 0xfe;
  ctx.kernel[0xfe] = 'x';
  ctx.kernel[0xff] = 'y';
  EXPECT_EQ(Print("p:e f s=+0(%di):string", ctx, buf), " s=(fault)");
  ctx.kernel[0xff] = 0;
  EXPECT_EQ(Print("p:e f s=+0(%di):string", ctx, buf), " s=\"x\"");
  // Longer than one 64-byte print chunk.
  for (uint64_t i = 0x80; i < 0xf0; ++i) ctx.kernel[i] = 'z';
  ctx.regs[kDi] = kKernelBase + 0x80;
  EXPECT_EQ(Print("p:e f s=+0(%di):string", ctx, buf).size(),
            std::string_view(" s=\"\"").size() + 0x70);
  // The return value and immediates.
  ctx.regs[kAx] = 3;
  EXPECT_EQ(Print("r:e f $retval \\0x20:u8 \\-1:s16", ctx, buf), " arg1=0x3 arg2=32 arg3=-1");
}

}  // namespace
}  // namespace kernel::tracing
