// ktests: ModuleMemory runs code only through declared entries in sealed
// text, reads module memory only within bounds, and the C-ABI exports
// (_printk through the handler, the thunks, __fentry__, the heap) work when
// called from code in module memory.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ktest/ktest.h"
#include "ostd/ffi/foreign_exports.h"
#include "ostd/ffi/module_memory.h"
#include "ostd/patch/probe.h"
#include "ostd/patch/section_plan.h"
#include "ostd/util/vec.h"

namespace ostd::ffi {
namespace {

constexpr uint64_t kPage = 4096;
// Text on page 0, rodata on page 1, data on page 2.
constexpr std::array<patch::Section, 3> kLayout = {{
    {0, kPage, patch::SectionKind::kText},
    {kPage, kPage, patch::SectionKind::kRodata},
    {2 * kPage, kPage, patch::SectionKind::kData},
}};

// A little x86_64 assembler for the test functions.
struct Code {
  Vec<uint8_t> bytes;
  void Byte(std::initializer_list<uint8_t> bs) {
    for (uint8_t b : bs) EXPECT_TRUE(bytes.Push(b).has_value());
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) Byte({static_cast<uint8_t>(v >> (8 * i))});
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte({static_cast<uint8_t>(v >> (8 * i))});
  }
  void MovEaxImm(uint32_t v) { Byte({0xb8}), U32(v); }
  void MovabsR11(uint64_t v) { Byte({0x49, 0xbb}), U64(v); }
  void MovabsRax(uint64_t v) { Byte({0x48, 0xb8}), U64(v); }
  void CallR11() { Byte({0x41, 0xff, 0xd3}); }
  void JmpR11() { Byte({0x41, 0xff, 0xe3}); }
  void SubRsp8() { Byte({0x48, 0x83, 0xec, 0x08}); }
  void AddRsp8() { Byte({0x48, 0x83, 0xc4, 0x08}); }
  void Ret() { Byte({0xc3}); }
  uint64_t size() const { return bytes.size(); }
  // lea disp(%rip), %rdi pointing at region offset `target` (code at `at`).
  void LeaRdi(uint64_t at, uint64_t target) {
    Byte({0x48, 0x8d, 0x3d});
    U32(static_cast<uint32_t>(target - (at + size() + 4)));
  }
};

RefPtr<ModuleMemory> Region(const Code& code, uint64_t code_at, std::span<const uint8_t> rodata) {
  Result<RefPtr<ModuleMemory>> m = ModuleMemory::Create(3 * kPage);
  EXPECT_TRUE(m.has_value());
  if (!m.has_value()) return RefPtr<ModuleMemory>();
  EXPECT_TRUE((*m)->Write(code_at, code.bytes.span()).has_value());
  EXPECT_TRUE((*m)->Write(kPage, rodata).has_value());
  return *m;
}

TEST(ModuleMemoryTest, CallsDeclaredEntriesOnly) {
  Code c;
  c.MovEaxImm(static_cast<uint32_t>(-19));  // return -ENODEV
  c.Ret();
  // void fn at 16: movl $7, data(%rip); ret
  Code v;
  v.Byte({0xc7, 0x05});
  v.U32(static_cast<uint32_t>(2 * kPage - (16 + 10)));
  v.U32(7);
  v.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Write(16, v.bytes.span()).has_value());
  EXPECT_GE(m->base(), 0xffffffff80000000u);           // the top 2 GiB
  EXPECT_EQ(m->IntEntryAt(0).error(), Errno::kEPERM);  // not sealed
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  ASSERT_TRUE(m->DeclareEntry(16).has_value());
  EXPECT_EQ(m->DeclareEntry(3 * kPage).error(), Errno::kEINVAL);
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  EXPECT_EQ(m->DeclareEntry(8).error(), Errno::kEPERM);
  std::array<uint8_t, 1> one = {0};
  EXPECT_EQ(m->Write(0, one).error(), Errno::kEPERM);
  EXPECT_EQ(m->IntEntryAt(1).error(), Errno::kEINVAL);  // not declared
  Result<IntEntry> init = m->IntEntryAt(0);
  ASSERT_TRUE(init.has_value());
  EXPECT_EQ(init->Call(), -19);
  Result<VoidEntry> exit = m->VoidEntryAt(16);
  ASSERT_TRUE(exit.has_value());
  exit->Call();
  std::array<uint8_t, 4> word{};
  ASSERT_TRUE(m->Read(2 * kPage, word).has_value());
  EXPECT_EQ(word[0], 7u);
  EXPECT_EQ(m->Read(3 * kPage - 2, word).error(), Errno::kEINVAL);
  EXPECT_EQ(m->Read(~uint64_t{0}, word).error(), Errno::kEINVAL);
}

TEST(ModuleMemoryTest, EntryOutsideTextIsRefused) {
  Code c;
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->DeclareEntry(2 * kPage + 8).has_value());  // in data
  EXPECT_EQ(m->Seal(kLayout).error(), Errno::kEINVAL);
  EXPECT_FALSE(m->sealed());
  // Writable and executable on one page: refused by ExecRegion's rules.
  Result<RefPtr<ModuleMemory>> wx = ModuleMemory::Create(kPage);
  ASSERT_TRUE(wx.has_value());
  std::array<patch::Section, 2> bad = {
      {{0, 16, patch::SectionKind::kText}, {16, 16, patch::SectionKind::kData}}};
  EXPECT_EQ((*wx)->Seal(bad).error(), Errno::kEINVAL);
}

TEST(ModuleMemoryTest, WriteDataOnlyInsideDataSections) {
  Code c;
  // int fn: return the int at data offset 8: mov data+8(%rip),%eax; ret
  c.Byte({0x8b, 0x05});
  c.U32(static_cast<uint32_t>(2 * kPage + 8 - 6));
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  std::array<uint8_t, 4> seven = {7, 0, 0, 0};
  EXPECT_EQ(m->WriteData(2 * kPage + 8, seven).error(), Errno::kEPERM);  // not sealed
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  ASSERT_TRUE(m->WriteData(2 * kPage + 8, seven).has_value());
  EXPECT_EQ(m->IntEntryAt(0)->Call(), 7);
  std::array<uint8_t, 4> back{};
  ASSERT_TRUE(m->Read(2 * kPage + 8, back).has_value());
  EXPECT_EQ(back[0], 7u);
  // Text, rodata, past the end, straddling the end, wrapping: refused.
  EXPECT_EQ(m->WriteData(0, seven).error(), Errno::kEINVAL);
  EXPECT_EQ(m->WriteData(kPage, seven).error(), Errno::kEINVAL);
  EXPECT_EQ(m->WriteData(2 * kPage - 2, seven).error(), Errno::kEINVAL);
  EXPECT_EQ(m->WriteData(3 * kPage - 2, seven).error(), Errno::kEINVAL);
  EXPECT_EQ(m->WriteData(~uint64_t{0} - 1, seven).error(), Errno::kEINVAL);
  EXPECT_EQ(m->IntEntryAt(0)->Call(), 7);
}

constexpr std::array<uint8_t, 6> kHello = {'h', 'e', 'l', 'l', 'o', 0};

uint64_t seen_arg = 0;
size_t seen_len = 0;
std::array<char, 16> seen_fmt{};

int Handler(uint64_t fmt, ForeignArgs& args) {
  Result<size_t> n = ReadForeignString(fmt, seen_fmt);
  seen_len = n.has_value() ? *n : 999;
  seen_arg = args.Next();
  return 5;
}

TEST(ForeignExportsTest, PrintkReachesTheHandlerWithItsArguments) {
  // sub $8,%rsp; lea fmt(%rip),%rdi; mov $42,%esi; xor %eax,%eax;
  // movabs $_printk,%r11; call *%r11; add $8,%rsp; ret
  Code c;
  c.SubRsp8();
  c.LeaRdi(0, kPage);
  c.Byte({0xbe}), c.U32(42);
  c.Byte({0x31, 0xc0});
  c.MovabsR11(ExportAddress(ForeignExport::kPrintk));
  c.CallR11();
  c.AddRsp8();
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, kHello);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  SetPrintkHandler(Handler);
  EXPECT_EQ(m->IntEntryAt(0)->Call(), 5);
  SetPrintkHandler(nullptr);
  EXPECT_EQ(seen_len, 5u);
  EXPECT_EQ(std::string_view(seen_fmt).substr(0, 5), "hello");
  EXPECT_EQ(seen_arg, 42u);
  // No handler: _printk returns 0.
  EXPECT_EQ(m->IntEntryAt(0)->Call(), 0);
}

TEST(ForeignExportsTest, ReadForeignStringIsBounded) {
  Code c;
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, kHello);
  ASSERT_TRUE(m);
  std::array<char, 16> out{};
  // Not sealed yet: not a live module region.
  EXPECT_EQ(ReadForeignString(m->base() + kPage, out).error(), Errno::kEFAULT);
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  EXPECT_EQ(ReadForeignString(m->base() + kPage, out).value(), 5u);
  std::array<char, 3> small{};
  EXPECT_EQ(ReadForeignString(m->base() + kPage, small).error(), Errno::kENAMETOOLONG);
  EXPECT_EQ(ReadForeignString(0, out).error(), Errno::kEFAULT);
  EXPECT_EQ(ReadForeignString(ExportAddress(ForeignExport::kFentry), out).error(),
            Errno::kEFAULT);  // kernel text is not module memory
  // The last page: zeros, so "" at its end; the byte past the region is not read.
  EXPECT_EQ(ReadForeignString(m->base() + 3 * kPage - 1, out).value(), 0u);
  EXPECT_EQ(ReadForeignString(m->base() + 3 * kPage, out).error(), Errno::kEFAULT);
  Vaddr base = m->base();
  m = RefPtr<ModuleMemory>();  // the last reference: unmapped
  EXPECT_EQ(ReadForeignString(base + kPage, out).error(), Errno::kEFAULT);
}

TEST(ForeignExportsTest, ThunksFentryAndHeap) {
  Code c;
  // __fentry__: call and come back.
  c.SubRsp8();
  c.MovabsR11(ExportAddress(ForeignExport::kFentry));
  c.CallR11();
  // __x86_indirect_thunk_rax to __x86_return_thunk: back here.
  c.MovabsRax(ExportAddress(ForeignExport::kReturnThunk));
  c.MovabsR11(ExportAddress(ForeignExport::kIndirectThunkRax));
  c.CallR11();
  // p = __kmalloc(64, 0); kfree(p); kfree(NULL)
  c.Byte({0xbf}), c.U32(64);  // mov $64,%edi
  c.Byte({0x31, 0xf6});       // xor %esi,%esi
  c.MovabsR11(ExportAddress(ForeignExport::kKmalloc));
  c.CallR11();
  c.Byte({0x48, 0x89, 0xc7});  // mov %rax,%rdi
  c.MovabsR11(ExportAddress(ForeignExport::kKfree));
  c.CallR11();
  c.Byte({0x31, 0xff});  // xor %edi,%edi
  c.MovabsR11(ExportAddress(ForeignExport::kKfree));
  c.CallR11();
  // kfree(kmalloc_trace(cache, 0, 0)): ZERO_SIZE_PTR, ignored by kfree
  c.Byte({0x31, 0xff});  // xor %edi,%edi
  c.Byte({0x31, 0xf6});  // xor %esi,%esi
  c.Byte({0x31, 0xd2});  // xor %edx,%edx
  c.MovabsR11(ExportAddress(ForeignExport::kKmallocTrace));
  c.CallR11();
  c.Byte({0x48, 0x89, 0xc7});  // mov %rax,%rdi
  c.MovabsR11(ExportAddress(ForeignExport::kKfree));
  c.CallR11();
  // kfree(kmalloc_large(3 pages, __GFP_ZERO))
  c.Byte({0xbf}), c.U32(3 * 4096);  // mov $12288,%edi
  c.Byte({0xbe}), c.U32(0x100);     // mov $0x100,%esi
  c.MovabsR11(ExportAddress(ForeignExport::kKmallocLarge));
  c.CallR11();
  c.Byte({0x48, 0x89, 0xc7});  // mov %rax,%rdi
  c.MovabsR11(ExportAddress(ForeignExport::kKfree));
  c.CallR11();
  c.AddRsp8();
  // return 9 through __x86_return_thunk (jmp, as a module's epilogue does)
  c.MovEaxImm(9);
  c.MovabsR11(ExportAddress(ForeignExport::kReturnThunk));
  c.JmpR11();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  EXPECT_EQ(m->IntEntryAt(0)->Call(), 9);
  for (uint8_t e = 0; e < static_cast<uint8_t>(ForeignExport::kCount); ++e) {
    EXPECT_NE(ExportAddress(static_cast<ForeignExport>(e)), 0u) << e;
  }
  EXPECT_EQ(ExportAddress(ForeignExport::kCount), 0u);
}

TEST(WordEntryTest, PassesWordsAndRecords) {
  // mov (%rsi),%rax; add %rdi,%rax; mov %rax,8(%rsi); add %rcx,%rax; ret:
  // returns a0 + rec[0] + a3 and stores a0 + rec[0] into rec[1].
  Code c;
  c.Byte({0x48, 0x8b, 0x06});
  c.Byte({0x48, 0x01, 0xf8});
  c.Byte({0x48, 0x89, 0x46, 0x08});
  c.Byte({0x48, 0x01, 0xc8});
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  EXPECT_EQ(m->WordEntryAt(0).error(), Errno::kEPERM);  // not sealed
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  EXPECT_EQ(m->WordEntryAt(2).error(), Errno::kEINVAL);  // not declared
  Result<WordEntry> e = m->WordEntryAt(0);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->address(), m->base());
  std::array<uint64_t, 2> rec = {100, 0};
  std::array<ForeignArg, 4> args = {ForeignArg::Word(5), ForeignArg::Record(rec),
                                    ForeignArg::Word(0), ForeignArg::Word(1000)};
  EXPECT_EQ(e->Call(args).value(), 1105u);
  EXPECT_EQ(rec[1], 105u);  // the callee's write is in the caller's record
  // Unused registers are 0.
  EXPECT_EQ(e->Call(std::span(args).first(2)).value(), 105u);
  std::array<ForeignArg, WordEntry::kMaxArgs + 1> too_many = {
      ForeignArg::Word(0), ForeignArg::Word(0), ForeignArg::Word(0), ForeignArg::Word(0),
      ForeignArg::Word(0), ForeignArg::Word(0), ForeignArg::Word(0)};
  EXPECT_EQ(e->Call(too_many).error(), Errno::kEINVAL);
}

class CountingHandler final : public patch::ProbeHandler {
 public:
  void OnHit(const patch::ProbeRegs& regs) override {
    ++hits;
    rip = regs.rip;
    rdi = regs.rdi;
  }
  void AfterStep(const patch::ProbeRegs& regs) override { after_rax = regs.rax; }
  int hits = 0;
  uint64_t rip = 0;
  uint64_t rdi = 0;
  uint64_t after_rax = 0;
};

TEST(ModuleTextProbeTest, BreakpointsInDeclaredFunctionsGoWithTheMemory) {
  // int f(long x): mov %edi,%eax; add $1,%eax; ret (2 + 3 + 1 bytes)
  Code c;
  c.Byte({0x89, 0xf8});
  c.Byte({0x83, 0xc0, 0x01});
  c.Ret();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  // A second function declared without a size: an entry, not probeable.
  ASSERT_TRUE(m->Write(64, c.bytes.span()).has_value());
  ASSERT_TRUE(m->DeclareEntry(0, c.size()).has_value());
  ASSERT_TRUE(m->DeclareEntry(64).has_value());
  Result<RefPtr<CountingHandler>> h = MakeRef<CountingHandler>();
  ASSERT_TRUE(h.has_value());
  // Not sealed yet: no function there.
  EXPECT_EQ(patch::Breakpoint::AtAddress(m->base(), *h).error(), Errno::kEINVAL);
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  EXPECT_EQ(patch::Breakpoint::AtAddress(m->base() + 64, *h).error(), Errno::kEINVAL);
  EXPECT_EQ(patch::Breakpoint::AtAddress(m->base() + 1, *h).error(), Errno::kEILSEQ);
  EXPECT_EQ(patch::Breakpoint::AtAddress(m->base() + kPage, *h).error(), Errno::kEINVAL);
  Result<patch::Breakpoint> bp = patch::Breakpoint::AtAddress(m->base() + 2, *h);
  ASSERT_TRUE(bp.has_value());
  EXPECT_EQ(bp->function().address, m->base());
  EXPECT_EQ(bp->function().offset, 2u);
  Result<WordEntry> e = m->WordEntryAt(0);
  ASSERT_TRUE(e.has_value());
  std::array<ForeignArg, 1> args = {ForeignArg::Word(41)};
  EXPECT_EQ(static_cast<uint32_t>(e->Call(args).value()), 42u);
  EXPECT_EQ((*h)->hits, 1);
  EXPECT_EQ((*h)->rip, m->base() + 2);
  EXPECT_EQ((*h)->rdi, 41u);
  EXPECT_EQ((*h)->after_rax, 42u);
  EXPECT_FALSE(bp->gone());
  // The memory goes (last references dropped) with the breakpoint placed.
  e = Err(Errno::kEINVAL);
  m = RefPtr<ModuleMemory>();
  EXPECT_TRUE(bp->gone());
  EXPECT_FALSE(bp->enabled());
  EXPECT_EQ(bp->Enable().error(), Errno::kENOENT);
  *bp = patch::Breakpoint();  // dropping it is safe
}

uint64_t call_a0 = 0;
uint64_t call_a1 = 0;
int CallHandler(uint64_t a0, uint64_t a1) {
  call_a0 = a0;
  call_a1 = a1;
  return -22;
}

TEST(ForeignExportsTest, ForeignCallsReachTheirHandler) {
  // Tail-calls register_kprobes(rdi, esi): movabs $f,%r11; jmp *%r11.
  Code c;
  c.MovabsR11(ExportAddress(ForeignExport::kRegisterKprobes));
  c.JmpR11();
  RefPtr<ModuleMemory> m = Region(c, 0, {});
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->DeclareEntry(0).has_value());
  ASSERT_TRUE(m->Seal(kLayout).has_value());
  Result<WordEntry> e = m->WordEntryAt(0);
  ASSERT_TRUE(e.has_value());
  std::array<ForeignArg, 2> args = {ForeignArg::Word(0x1234), ForeignArg::Word(0xffffffff00000003)};
  // No handler: -ENOSYS.
  EXPECT_EQ(static_cast<int32_t>(e->Call(args).value()), -38);
  SetForeignCallHandler(ForeignCall::kRegisterKprobes, CallHandler);
  EXPECT_EQ(static_cast<int32_t>(e->Call(args).value()), -22);
  SetForeignCallHandler(ForeignCall::kRegisterKprobes, nullptr);
  EXPECT_EQ(call_a0, 0x1234u);
  EXPECT_EQ(call_a1, 3u);                                   // an int argument: its low 32 bits
  SetForeignCallHandler(ForeignCall::kCount, CallHandler);  // ignored
}

}  // namespace
}  // namespace ostd::ffi
