// ktests: breakpoints on functions whose first instruction is each kind the
// probe core handles (executed out of line or emulated), refusals with the
// right errno, byte-exact restoration, re-entrance, several users, 4 CPUs.
#include <array>
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap_frame.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/probe_hooks.h"
#include "ostd/internal/smp.h"
#include "ostd/panic.h"
#include "ostd/patch/internal/text_patcher.h"
#include "ostd/patch/ktests/probe_ktest_util.h"
#include "ostd/patch/probe.h"
#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"

// Probe targets with known first instructions. Each returns a value the test
// checks, so an emulation or fix-up mistake changes the result.
// SAFETY: plain functions with the C calling convention; they touch only
// rax, rcx, rsi, rdi, flags and their own stack slots.
asm(R"(
  .pushsection .data.probe_ktest, "aw", @progbits
  .p2align 3
  .globl probe_ktest_value
probe_ktest_value:
  .quad 1000
probe_ktest_ptr:
  .quad probe_ktest_helper
  .popsection

  .pushsection .text.probe_ktest, "ax", @progbits
  .macro FN name
  .p2align 4
  .globl \name
  .type \name, @function
\name:
  .endm
  .macro END name
  .size \name, . - \name
  .endm

  FN probe_ktest_helper        // rdi + 2 (leaf)
  lea 2(%rdi), %rax
  ret
  END probe_ktest_helper

  FN probe_ktest_push          // push %rbx: rdi + 1
  push %rbx
  lea 1(%rdi), %rax
  pop %rbx
  ret
  END probe_ktest_push

  FN probe_ktest_sub_rsp       // sub $0x18,%rsp: rdi + 1
  sub $0x18, %rsp
  movq %rdi, 8(%rsp)
  movq 8(%rsp), %rax
  add $1, %rax
  add $0x18, %rsp
  ret
  END probe_ktest_sub_rsp

  FN probe_ktest_rip_mov       // mov probe_ktest_value(%rip),%rax: rdi + 1000
  mov probe_ktest_value(%rip), %rax
  add %rdi, %rax
  ret
  END probe_ktest_rip_mov

  FN probe_ktest_call          // call rel32: rdi + 3
  call probe_ktest_helper
  add $1, %rax
  ret
  END probe_ktest_call

  FN probe_ktest_jmp8          // jmp rel8: rdi + 4
  jmp 1f
  xor %eax, %eax
  ret
1:lea 4(%rdi), %rax
  ret
  END probe_ktest_jmp8

  FN probe_ktest_jmp32         // jmp rel32: rdi + 5
  .byte 0xe9
  .long 2f - 1f
1:xor %eax, %eax
  ret
2:lea 5(%rdi), %rax
  ret
  END probe_ktest_jmp32

  FN probe_ktest_call_jcc      // flags from rdi, then jcc: rdi == 0 ? -1 : rdi + 6
  cmp $0, %rdi
  jmp probe_ktest_jcc
  END probe_ktest_call_jcc
  FN probe_ktest_jcc
  je 1f
  lea 6(%rdi), %rax
  ret
1:mov $-1, %rax
  ret
  END probe_ktest_jcc

  FN probe_ktest_call_jcc32    // as above with jne rel32: rdi != 0 ? rdi + 8 : -2
  cmp $0, %rdi
  jmp probe_ktest_jcc32
  END probe_ktest_call_jcc32
  FN probe_ktest_jcc32
  .byte 0x0f, 0x85
  .long 2f - 1f
1:mov $-2, %rax
  ret
2:lea 8(%rdi), %rax
  ret
  END probe_ktest_jcc32

  FN probe_ktest_call_ret      // calls a function that is only ret: rdi + 7
  mov %rdi, %rax
  call probe_ktest_ret
  add $7, %rax
  ret
  END probe_ktest_call_ret
  FN probe_ktest_ret
  ret
  END probe_ktest_ret

  FN probe_ktest_callreg       // call *%rsi (rsi = probe_ktest_helper): rdi + 3
  call *%rsi
  add $1, %rax
  ret
  END probe_ktest_callreg

  FN probe_ktest_jmpreg        // jmp *%rsi: rdi + 2
  jmp *%rsi
  END probe_ktest_jmpreg

  FN probe_ktest_cli           // cli: returns the flags after it (IF clear)
  cli
  pushf
  pop %rax
  ret
  END probe_ktest_cli

  FN probe_ktest_sti           // sti: returns the flags after it (IF set)
  sti
  pushf
  pop %rax
  ret
  END probe_ktest_sti

  FN probe_ktest_pushf         // pushf: returns the flags
  pushf
  pop %rax
  ret
  END probe_ktest_pushf

  FN probe_ktest_call_popf     // pushes rdi, then popf in the target: flags after
  push %rdi
  jmp probe_ktest_popf
  END probe_ktest_call_popf
  FN probe_ktest_popf
  popf
  pushf
  pop %rax
  ret
  END probe_ktest_popf

  FN probe_ktest_ud2           // never called
  ud2
  END probe_ktest_ud2

  FN probe_ktest_hlt           // never called
  hlt
  ret
  END probe_ktest_hlt

  FN probe_ktest_jmpmem        // never called
  jmp *probe_ktest_ptr(%rip)
  END probe_ktest_jmpmem

  FN probe_ktest_set_tf        // sets TF with popf: a stray kernel #DB follows
  pushf
  orq $0x100, (%rsp)
  popf
  nop
  pushf
  andq $~0x100, (%rsp)
  popf
  ret
  END probe_ktest_set_tf

probe_ktest_label:             // a label without a size
  ret
  .popsection
)");

extern "C" {
uint64_t probe_ktest_helper(uint64_t);
uint64_t probe_ktest_push(uint64_t);
uint64_t probe_ktest_sub_rsp(uint64_t);
uint64_t probe_ktest_rip_mov(uint64_t);
uint64_t probe_ktest_call(uint64_t);
uint64_t probe_ktest_jmp8(uint64_t);
uint64_t probe_ktest_jmp32(uint64_t);
uint64_t probe_ktest_call_jcc(uint64_t);
uint64_t probe_ktest_jcc(uint64_t);
uint64_t probe_ktest_call_jcc32(uint64_t);
uint64_t probe_ktest_jcc32(uint64_t);
uint64_t probe_ktest_call_ret(uint64_t);
uint64_t probe_ktest_ret(uint64_t);
uint64_t probe_ktest_callreg(uint64_t, uint64_t (*)(uint64_t));
uint64_t probe_ktest_jmpreg(uint64_t, uint64_t (*)(uint64_t));
uint64_t probe_ktest_cli();
uint64_t probe_ktest_sti();
uint64_t probe_ktest_pushf();
uint64_t probe_ktest_call_popf(uint64_t);
uint64_t probe_ktest_popf(uint64_t);
void probe_ktest_ud2();
void probe_ktest_hlt();
void probe_ktest_jmpmem();
void probe_ktest_set_tf();
void probe_ktest_label();
}

namespace ostd::patch {
namespace {

constexpr uint64_t kIf = 1 << 9;
constexpr uint64_t kCf = 1;

// SAFETY (helper): only the numeric address of a function.
template <typename F>
Vaddr AddrOf(F* fn) {
  return reinterpret_cast<Vaddr>(fn);
}

std::array<uint8_t, 16> Bytes(Vaddr addr) {
  std::array<uint8_t, 16> out{};
  EXPECT_TRUE(TextPatcher::Read(addr, out).has_value());
  return out;
}

Breakpoint Place(Vaddr addr, const RefPtr<Recorder>& rec) {
  Result<Breakpoint> bp = Breakpoint::AtAddress(addr, rec);
  EXPECT_TRUE(bp.has_value()) << "at " << addr << ": " << (bp ? "" : ErrnoName(bp.error()));
  return bp ? std::move(*bp) : Breakpoint();
}

// Places a breakpoint on `target`, checks `call()` returns `want` with and
// without it, that the handlers ran once each, and that the bytes come back.
template <typename Call>
void CheckProbe(Vaddr target, Call call, uint64_t want) {
  std::array<uint8_t, 16> before = Bytes(target);
  EXPECT_EQ(call(), want) << "unprobed";
  RefPtr<Recorder> rec = NewRecorder();
  {
    Breakpoint bp = Place(target, rec);
    EXPECT_EQ(Bytes(target)[0], 0xcc);
    EXPECT_EQ(call(), want) << "probed";
    EXPECT_EQ(rec->hits.load(), 1u);
    EXPECT_EQ(rec->after.load(), 1u);
    EXPECT_EQ(rec->last_rip, target);
    EXPECT_EQ(bp.hits(), 1u);
    EXPECT_EQ(bp.missed(), 0u);
  }
  EXPECT_TRUE(Bytes(target) == before) << "bytes not restored";
  EXPECT_EQ(call(), want) << "after removal";
}

TEST(Probe, PushRunsOutOfLine) {
  CheckProbe(AddrOf(&probe_ktest_push), [] { return probe_ktest_push(10); }, 11);
  RefPtr<Recorder> rec = NewRecorder();
  Breakpoint bp = Place(AddrOf(&probe_ktest_push), rec);
  EXPECT_EQ(probe_ktest_push(20), 21u);
  EXPECT_EQ(rec->last_rdi, 20u);
  EXPECT_EQ(rec->after_rip, AddrOf(&probe_ktest_push) + 1);  // after the 1-byte push
  EXPECT_EQ(rec->after_rsp, rec->last_rsp - 8);
}

TEST(Probe, SubRspRunsOutOfLine) {
  CheckProbe(AddrOf(&probe_ktest_sub_rsp), [] { return probe_ktest_sub_rsp(7); }, 8);
}

TEST(Probe, RipRelativeMovIsFixedUp) {
  CheckProbe(AddrOf(&probe_ktest_rip_mov), [] { return probe_ktest_rip_mov(5); }, 1005);
}

TEST(Probe, CallRel32IsEmulated) {
  CheckProbe(AddrOf(&probe_ktest_call), [] { return probe_ktest_call(1); }, 4);
}

TEST(Probe, JmpIsEmulated) {
  CheckProbe(AddrOf(&probe_ktest_jmp8), [] { return probe_ktest_jmp8(1); }, 5);
  CheckProbe(AddrOf(&probe_ktest_jmp32), [] { return probe_ktest_jmp32(1); }, 6);
}

TEST(Probe, JccIsEmulatedBothWays) {
  CheckProbe(AddrOf(&probe_ktest_jcc), [] { return probe_ktest_call_jcc(0); }, ~uint64_t{0});
  CheckProbe(AddrOf(&probe_ktest_jcc), [] { return probe_ktest_call_jcc(3); }, 9);
  CheckProbe(
      AddrOf(&probe_ktest_jcc32), [] { return probe_ktest_call_jcc32(0); }, ~uint64_t{0} - 1);
  CheckProbe(AddrOf(&probe_ktest_jcc32), [] { return probe_ktest_call_jcc32(2); }, 10);
}

TEST(Probe, RetIsEmulated) {
  CheckProbe(AddrOf(&probe_ktest_ret), [] { return probe_ktest_call_ret(1); }, 8);
}

TEST(Probe, IndirectCallAndJmpThroughRegisterAreEmulated) {
  CheckProbe(
      AddrOf(&probe_ktest_callreg), [] { return probe_ktest_callreg(1, &probe_ktest_helper); }, 4);
  CheckProbe(
      AddrOf(&probe_ktest_jmpreg), [] { return probe_ktest_jmpreg(1, &probe_ktest_helper); }, 3);
}

TEST(Probe, CliStiPushfPopfAreEmulated) {
  RefPtr<Recorder> rec = NewRecorder();
  std::array<uint8_t, 16> cli_bytes = Bytes(AddrOf(&probe_ktest_cli));
  {
    Breakpoint cli = Place(AddrOf(&probe_ktest_cli), rec);
    Breakpoint sti = Place(AddrOf(&probe_ktest_sti), rec);
    Breakpoint pushf = Place(AddrOf(&probe_ktest_pushf), rec);
    Breakpoint popf = Place(AddrOf(&probe_ktest_popf), rec);
    ASSERT_TRUE(arch::InterruptsEnabled());
    uint64_t after_cli = probe_ktest_cli();
    bool off = !arch::InterruptsEnabled();
    uint64_t after_sti = probe_ktest_sti();
    bool on = arch::InterruptsEnabled();
    EXPECT_EQ(after_cli & kIf, 0u);
    EXPECT_TRUE(off);
    EXPECT_EQ(after_sti & kIf, kIf);
    EXPECT_TRUE(on);
    uint64_t flags = probe_ktest_pushf();
    EXPECT_EQ(flags & kIf, kIf);
    EXPECT_EQ(flags & (1u << 8), 0u);  // no TF leaks out
    uint64_t popped = probe_ktest_call_popf(flags | kCf);
    EXPECT_EQ(popped & kCf, kCf);
    EXPECT_EQ(popped & kIf, kIf);
    popped = probe_ktest_call_popf(flags & ~kCf);
    EXPECT_EQ(popped & kCf, 0u);
    EXPECT_TRUE(arch::InterruptsEnabled());
    EXPECT_EQ(rec->hits.load(), 5u);
    EXPECT_EQ(rec->after.load(), 5u);
  }
  EXPECT_TRUE(Bytes(AddrOf(&probe_ktest_cli)) == cli_bytes);
}

TEST(Probe, RefusesNonBoundaryPastEndBlacklistedAndUnprobeable) {
  RefPtr<Recorder> rec = NewRecorder();
  // mov probe_ktest_value(%rip),%rax is 7 bytes: +1..+6 are inside it.
  for (uint64_t off = 1; off < 7; ++off) {
    Result<Breakpoint> bp = Breakpoint::AtAddress(AddrOf(&probe_ktest_rip_mov) + off, rec);
    ASSERT_FALSE(bp.has_value()) << off;
    EXPECT_EQ(bp.error(), Errno::kEILSEQ) << off;
  }
  EXPECT_TRUE(Breakpoint::AtAddress(AddrOf(&probe_ktest_rip_mov) + 7, rec).has_value());
  // By symbol: past the end, unknown name.
  std::optional<Symbol> push = KernelSymbols().FindSymbol("probe_ktest_push");
  ASSERT_TRUE(push.has_value());
  EXPECT_EQ(Breakpoint::AtSymbol("probe_ktest_push", push->size, rec).error(), Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtSymbol("probe_ktest_push", push->size + 100, rec).error(),
            Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtSymbol("no_such_function_anywhere", 0, rec).error(), Errno::kENOENT);
  EXPECT_TRUE(Breakpoint::AtSymbol("probe_ktest_push", 1, rec).has_value());
  // Blacklisted: the trap dispatcher, the no-probe set.
  EXPECT_TRUE(IsBlacklisted(AddrOf(&arch_trap_dispatch)));
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&arch_trap_dispatch), rec).error(), Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtSymbol("arch_trap_dispatch", 0, rec).error(), Errno::kEINVAL);
  // Unprobeable and unsupported instructions.
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_ud2), rec).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_hlt), rec).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_jmpmem), rec).error(), Errno::kEOPNOTSUPP);
  // Not a sized function, not text, no handler.
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_label), rec).error(), Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtAddress(0x1000, rec).error(), Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtAddress(internal::kLinearMapBase, rec).error(), Errno::kEINVAL);
  EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_push), RefPtr<ProbeHandler>()).error(),
            Errno::kEINVAL);
  // With interrupts off: EBUSY.
  {
    IrqGuard irq;
    EXPECT_EQ(Breakpoint::AtAddress(AddrOf(&probe_ktest_push), rec).error(), Errno::kEBUSY);
  }
  EXPECT_EQ(rec->hits.load(), 0u);
}

TEST(Probe, BlacklistListsTheNoProbeSet) {
  Result<Vec<Symbol>> list = ProbeBlacklist();
  ASSERT_TRUE(list.has_value());
  bool dispatch = false, decoder = false, patcher = false;
  for (const Symbol& s : *list) {
    EXPECT_TRUE(IsBlacklisted(s.address));
    if (s.name == "arch_trap_dispatch") dispatch = true;
    if (s.name.find("DecodeAt") != std::string_view::npos) decoder = true;
    if (s.name.find("TextPatcher::Patch") != std::string_view::npos) patcher = true;
  }
  EXPECT_TRUE(dispatch);
  EXPECT_TRUE(decoder);
  EXPECT_TRUE(patcher);
}

TEST(Probe, SeveralUsersShareOneAddress) {
  Vaddr target = AddrOf(&probe_ktest_push);
  std::array<uint8_t, 16> before = Bytes(target);
  RefPtr<Recorder> a = NewRecorder();
  RefPtr<Recorder> b = NewRecorder();
  {
    Breakpoint first = Place(target, a);
    {
      Breakpoint second = Place(target, b);
      EXPECT_EQ(probe_ktest_push(1), 2u);
      EXPECT_EQ(a->hits.load(), 1u);
      EXPECT_EQ(b->hits.load(), 1u);
      // Disabling one leaves the other armed.
      EXPECT_TRUE(second.Disable().has_value());
      EXPECT_FALSE(second.enabled());
      EXPECT_EQ(Bytes(target)[0], 0xcc);
      EXPECT_EQ(probe_ktest_push(1), 2u);
      EXPECT_EQ(a->hits.load(), 2u);
      EXPECT_EQ(b->hits.load(), 1u);
      // Disabling both restores the byte; enabling re-arms.
      EXPECT_TRUE(first.Disable().has_value());
      EXPECT_TRUE(Bytes(target) == before);
      EXPECT_EQ(probe_ktest_push(1), 2u);
      EXPECT_EQ(a->hits.load(), 2u);
      EXPECT_TRUE(second.Enable().has_value());
      EXPECT_TRUE(second.Enable().has_value());  // idempotent
      EXPECT_EQ(Bytes(target)[0], 0xcc);
      EXPECT_EQ(probe_ktest_push(1), 2u);
      EXPECT_EQ(b->hits.load(), 2u);
      EXPECT_TRUE(first.Enable().has_value());
    }
    EXPECT_EQ(Bytes(target)[0], 0xcc);  // `first` still there
    EXPECT_EQ(probe_ktest_push(1), 2u);
    EXPECT_EQ(a->hits.load(), 3u);
  }
  EXPECT_TRUE(Bytes(target) == before);
}

TEST(Probe, PlacedDisabledAndMovedFrom) {
  Vaddr target = AddrOf(&probe_ktest_sub_rsp);
  std::array<uint8_t, 16> before = Bytes(target);
  RefPtr<Recorder> rec = NewRecorder();
  Result<Breakpoint> bp = Breakpoint::AtAddress(target, rec, ProbeOptions{.enabled = false});
  ASSERT_TRUE(bp.has_value());
  EXPECT_TRUE(Bytes(target) == before);
  EXPECT_EQ(probe_ktest_sub_rsp(1), 2u);
  EXPECT_EQ(rec->hits.load(), 0u);
  Breakpoint moved = std::move(*bp);
  EXPECT_EQ(bp->address(), 0u);
  EXPECT_EQ(bp->Enable().error(), Errno::kEINVAL);
  EXPECT_EQ(moved.address(), target);
  EXPECT_EQ(moved.function().name, "probe_ktest_sub_rsp");
  EXPECT_EQ(moved.function().offset, 0u);
  EXPECT_TRUE(moved.Enable().has_value());
  EXPECT_EQ(probe_ktest_sub_rsp(1), 2u);
  EXPECT_EQ(rec->hits.load(), 1u);
}

TEST(Probe, HitInsideAHandlerIsMissedNotRecursed) {
  RefPtr<Recorder> outer = NewRecorder();
  RefPtr<Recorder> inner = NewRecorder();
  outer->nested = &probe_ktest_rip_mov;  // the outer handler calls the inner target
  Breakpoint a = Place(AddrOf(&probe_ktest_push), outer);
  Breakpoint b = Place(AddrOf(&probe_ktest_rip_mov), inner);
  EXPECT_EQ(probe_ktest_push(1), 2u);
  EXPECT_EQ(outer->hits.load(), 1u);
  EXPECT_EQ(outer->nested_result, 1041u);  // the nested call still worked
  EXPECT_EQ(inner->hits.load(), 0u);
  EXPECT_EQ(b.missed(), 1u);
  EXPECT_EQ(b.hits(), 0u);
  // Outside a handler the inner one fires normally.
  EXPECT_EQ(probe_ktest_rip_mov(1), 1001u);
  EXPECT_EQ(inner->hits.load(), 1u);
}

std::atomic<uint64_t> smp_wrong{0};
std::atomic<bool> smp_stop{false};

void CallManyTimes() {
  for (uint64_t i = 0; i < 1000; ++i) {
    if (probe_ktest_call(i) != i + 3) smp_wrong.fetch_add(1);
    if (probe_ktest_rip_mov(i) != i + 1000) smp_wrong.fetch_add(1);
  }
}

TEST(Probe, FourCpusHitConcurrently) {
  if (cpu::Count() < 2) KTEST_SKIP("needs several CPUs");
  RefPtr<Recorder> rec = NewRecorder();
  Breakpoint call = Place(AddrOf(&probe_ktest_call), rec);
  Breakpoint mov = Place(AddrOf(&probe_ktest_rip_mov), rec);
  smp_wrong.store(0);
  OnEveryCpu([] { CallManyTimes(); });
  EXPECT_EQ(smp_wrong.load(), 0u);
  uint64_t cpus = cpu::Count();
  EXPECT_EQ(call.hits(), 1000 * cpus);
  EXPECT_EQ(mov.hits(), 1000 * cpus);
  EXPECT_EQ(call.missed(), 0u);
  EXPECT_EQ(rec->hits.load(), 2000 * cpus);
  EXPECT_EQ(rec->after.load(), 2000 * cpus);
}

TEST(Probe, PlaceAndRemoveWhileOtherCpusCall) {
  if (cpu::Count() < 2) KTEST_SKIP("needs several CPUs");
  smp_wrong.store(0);
  smp_stop.store(false);
  RefPtr<Recorder> rec = NewRecorder();
  std::array<TaskRef, kMaxCpus> tasks;
  CpuSet online = internal::OnlineCpus();
  for (uint32_t c = 0; c < kMaxCpus; ++c) {
    if (!online.Contains(c) || c == cpu::CurrentId()) continue;
    CpuSet one;
    one.Add(c);
    Result<TaskRef> t = Spawn(
        [] {
          while (!smp_stop.load()) CallManyTimes();
        },
        TaskOptions().name("probe-hammer").affinity(one));
    ASSERT_TRUE(t.has_value());
    tasks[c] = std::move(*t);
  }
  std::array<uint8_t, 16> before = Bytes(AddrOf(&probe_ktest_call));
  for (int round = 0; round < 10; ++round) {
    Breakpoint bp = Place(AddrOf(&probe_ktest_call), rec);
    Breakpoint bp2 = Place(AddrOf(&probe_ktest_rip_mov), rec);
    SleepFor(1000000);  // 1 ms
  }
  smp_stop.store(true);
  for (TaskRef& t : tasks) {
    if (t) t->Join();
  }
  EXPECT_EQ(smp_wrong.load(), 0u);
  EXPECT_GT(rec->hits.load(), 0u);
  EXPECT_TRUE(Bytes(AddrOf(&probe_ktest_call)) == before);
}

TEST(Probe, StrayKernelDebugTrapIsCleared) {
  uint64_t before = internal::StrayDebugTraps();
  probe_ktest_set_tf();
  EXPECT_GE(internal::StrayDebugTraps(), before + 1);
  EXPECT_EQ(probe_ktest_pushf() & (1u << 8), 0u);
}

TEST(Probe, ReadKernelMemory) {
  std::array<uint8_t, 8> out{};
  ASSERT_TRUE(
      ReadKernelMemory(AddrOf(&probe_ktest_push), std::span<uint8_t>(out).first(2)).has_value());
  EXPECT_EQ(out[0], 0x53);  // push %rbx
  // A heap (linear map) object.
  Result<RefPtr<Recorder>> obj = MakeRef<Recorder>();
  ASSERT_TRUE(obj.has_value());
  (*obj)->last_rdi = 0x1122334455667788;
  ASSERT_TRUE(ReadKernelMemory(AddrOf(&(*obj)->last_rdi), out).has_value());
  EXPECT_EQ(out[0], 0x88);
  EXPECT_EQ(out[7], 0x11);
  // The current task's stack (in a spawned task: the boot task's stack is
  // not a task stack), but not another task's.
  static std::atomic<Vaddr> other_stack{0};
  static std::atomic<int> stack_ok{0};
  Result<TaskRef> t = Spawn([] {
    uint64_t local = 0xa5a5a5a5deadbeef;
    std::array<uint8_t, 8> copy{};
    if (ReadKernelMemory(AddrOf(&local), copy).has_value() && copy[0] == 0xef && copy[7] == 0xa5) {
      stack_ok.store(1);
    }
    other_stack.store(AddrOf(&local));
  });
  ASSERT_TRUE(t.has_value());
  (*t)->Join();
  EXPECT_EQ(stack_ok.load(), 1);
  EXPECT_EQ(ReadKernelMemory(0x400000, out).error(), Errno::kEFAULT);             // user
  EXPECT_EQ(ReadKernelMemory(internal::kMmioBase, out).error(), Errno::kEFAULT);  // MMIO
  EXPECT_EQ(ReadKernelMemory(0x8000000000000000, out).error(), Errno::kEFAULT);   // non-canonical
  EXPECT_EQ(ReadKernelMemory(~uint64_t{0} - 3, out).error(), Errno::kEFAULT);     // wraps
  // An unmapped page of the module area faults into EFAULT.
  EXPECT_EQ(ReadKernelMemory(internal::kModuleEnd - 0x1000, out).error(), Errno::kEFAULT);
  EXPECT_TRUE(ReadKernelMemory(0x400000, std::span<uint8_t>()).has_value());
}

}  // namespace
}  // namespace ostd::patch
