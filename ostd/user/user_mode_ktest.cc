// ktests: entering user mode and coming back by syscall, exception and
// interrupt; per-context FPU state, FS/GS bases and rflags sanitization.
#include <cstdint>
#include <span>
#include <utility>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/cpu_set.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/smp.h"
#include "ostd/mm/frame.h"
#include "ostd/panic.h"
#include "ostd/task/task.h"
#include "ostd/timer.h"
#include "ostd/trap.h"
#include "ostd/user/user_context.h"
#include "ostd/user/user_mode.h"
#include "ostd/vm/internal/undirected_copy.h"
#include "ostd/vm/vm_space.h"

// Tiny user programs, position independent, copied into a user page.
asm(R"(
    .pushsection .rodata.ktest_user_programs, "a"
    .globl ktest_user_syscall, ktest_user_syscall_end
ktest_user_syscall:
    mov $5, %r12d
    xor %ebx, %ebx
1:  mov $39, %eax
    mov $11, %edi
    mov $12, %esi
    mov $13, %edx
    mov $14, %r10d
    mov $15, %r8d
    mov $16, %r9d
    syscall
    add %rax, %rbx
    dec %r12
    jnz 1b
    mov %rbx, %rdi
    mov $60, %eax
    syscall
    ud2
ktest_user_syscall_end:

    .globl ktest_user_ud2, ktest_user_ud2_end
ktest_user_ud2:
    ud2
ktest_user_ud2_end:

    .globl ktest_user_load, ktest_user_load_end
ktest_user_load:
    mov (%rdi), %rax
    ud2
ktest_user_load_end:

    .globl ktest_user_store, ktest_user_store_end
ktest_user_store:
    mov %rax, (%rdi)
    ud2
ktest_user_store_end:

    .globl ktest_user_priv, ktest_user_priv_end
ktest_user_priv:
    hlt
    cli
    ud2
ktest_user_priv_end:

    .globl ktest_user_sse, ktest_user_sse_end
ktest_user_sse:
    movq %rdi, %xmm0
    mov $1, %eax
    syscall
    movq %xmm0, %rdi
    mov $2, %eax
    syscall
    ud2
ktest_user_sse_end:

    .globl ktest_user_avx, ktest_user_avx_end
ktest_user_avx:
    movq %rdi, %xmm0
    movq %rsi, %xmm1
    vinsertf128 $1, %xmm1, %ymm0, %ymm0
    vpxor %xmm1, %xmm1, %xmm1
    mov $1, %eax
    syscall
    vextractf128 $1, %ymm0, %xmm1
    movq %xmm0, %rdi
    movq %xmm1, %rsi
    mov $2, %eax
    syscall
    ud2
ktest_user_avx_end:

    .globl ktest_user_fs, ktest_user_fs_end
ktest_user_fs:
    mov %fs:0, %rdi
    mov %gs:8, %rsi
    mov $1, %eax
    syscall
    ud2
ktest_user_fs_end:

    .globl ktest_user_spin, ktest_user_spin_end
ktest_user_spin:
1:  inc %rbx
    jmp 1b
ktest_user_spin_end:

    .globl ktest_user_flags, ktest_user_flags_end
ktest_user_flags:
    pushfq
    pop %rdi
    mov $1, %eax
    syscall
    cli
    ud2
ktest_user_flags_end:
    .popsection
)");

extern "C" {
extern const uint8_t ktest_user_syscall[], ktest_user_syscall_end[];
extern const uint8_t ktest_user_ud2[], ktest_user_ud2_end[];
extern const uint8_t ktest_user_load[], ktest_user_load_end[];
extern const uint8_t ktest_user_store[], ktest_user_store_end[];
extern const uint8_t ktest_user_priv[], ktest_user_priv_end[];
extern const uint8_t ktest_user_sse[], ktest_user_sse_end[];
extern const uint8_t ktest_user_avx[], ktest_user_avx_end[];
extern const uint8_t ktest_user_fs[], ktest_user_fs_end[];
extern const uint8_t ktest_user_spin[], ktest_user_spin_end[];
extern const uint8_t ktest_user_flags[], ktest_user_flags_end[];
}

namespace ostd::user {
namespace {

constexpr Vaddr kCode = 0x400000;
constexpr Vaddr kStack = 0x800000;
constexpr Vaddr kData = 0x600000;
constexpr uint64_t kPage = 4096;

bool NoEvent() { return false; }

uint64_t kernel_word = 0x5eed;

class UserModeTest : public ktest::Test {
 public:
  void SetUp() override {
    Result<RefPtr<vm::VmSpace>> s = vm::VmSpace::Create();
    ASSERT_TRUE(s.has_value());
    space_ = std::move(*s);
    space_->Activate();
    Result<mm::UFrame> stack = mm::UFrame::Alloc();
    ASSERT_TRUE(stack.has_value());
    ASSERT_TRUE(
        space_->Map(kStack, std::move(*stack), mm::PageFlags{.writable = true}).has_value());
  }
  void TearDown() override {
    vm::VmSpace::ActivateKernel();
    space_.Reset();
  }

 protected:
  // Copies the program [start, end) into a fresh frame mapped read+execute at
  // kCode and returns a context that starts it with an empty stack.
  UserContext Load(const uint8_t* start, const uint8_t* end) {
    Result<mm::UFrame> f = mm::UFrame::Alloc();
    OSTD_ASSERT(f.has_value());
    // SAFETY: both symbols bracket one program in .rodata (see the asm above).
    std::span<const uint8_t> code(start, end);
    std::span<uint8_t> page = internal::PhysBytes(mm::FrameAccess::PaddrOf(*f), kPage);
    for (size_t i = 0; i < code.size(); ++i) page[i] = code[i];
    OSTD_ASSERT(space_->Map(kCode, std::move(*f), mm::PageFlags{.executable = true}).has_value());
    Result<UserContext> ctx = UserContext::Create();
    OSTD_ASSERT(ctx.has_value());
    ctx->set_rip(kCode);
    ctx->set_rsp(kStack + kPage);
    return std::move(*ctx);
  }

  RefPtr<vm::VmSpace> space_;
};

TEST_F(UserModeTest, SyscallRoundTrip) {
  UserMode um(Load(ktest_user_syscall, ktest_user_syscall_end));
  uint64_t sum = 0;
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kSyscall);
    UserContext& c = um.context();
    EXPECT_EQ(c.syscall_num(), 39u);
    for (int a = 0; a < 6; ++a) EXPECT_EQ(c.syscall_arg(a), 11u + a);
    EXPECT_EQ(c.regs().rcx, c.rip()) << "syscall leaves the return rip in rcx";
    EXPECT_EQ(c.regs().r11, c.rflags());
    EXPECT_EQ(c.rsp(), kStack + kPage);
    c.set_syscall_ret(100 + i);
    sum += 100 + i;
  }
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kSyscall);
  EXPECT_EQ(um.context().syscall_num(), 60u);
  EXPECT_EQ(um.context().syscall_arg(0), sum) << "the program saw every return value";
  // Moving rip (as signal delivery does) forces the iretq path.
  um.context().set_rip(um.context().rip() - 2);  // back onto the syscall
  um.context().regs().rax = 60;
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kSyscall);
  EXPECT_EQ(um.context().syscall_num(), 60u);
}

TEST_F(UserModeTest, InvalidOpcodeIsAnException) {
  UserMode um(Load(ktest_user_ud2, ktest_user_ud2_end));
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorInvalidOpcode);
  EXPECT_EQ(um.context().fault().rip, kCode);
  EXPECT_EQ(um.context().rip(), kCode);
}

TEST_F(UserModeTest, UnmappedLoadIsAPageFault) {
  UserMode um(Load(ktest_user_load, ktest_user_load_end));
  um.context().regs().rdi = 0x10000000;
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  const FaultInfo& f = um.context().fault();
  EXPECT_EQ(f.vector, kVectorPageFault);
  EXPECT_EQ(f.address, 0x10000000u);
  EXPECT_EQ(f.error_code & 7, 4u) << "user-mode read of a not-present page";
  EXPECT_EQ(f.rip, kCode);
}

TEST_F(UserModeTest, WriteToKernelMemoryIsAPageFault) {
  UserMode um(Load(ktest_user_store, ktest_user_store_end));
  // SAFETY: only the address is used; user mode must fail to write it.
  uint64_t addr = reinterpret_cast<uint64_t>(&kernel_word);
  um.context().regs().rdi = addr;
  um.context().regs().rax = 0xbad;
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  const FaultInfo& f = um.context().fault();
  EXPECT_EQ(f.vector, kVectorPageFault);
  EXPECT_EQ(f.address, addr);
  EXPECT_EQ(f.error_code & 7, 7u) << "user-mode write to a present supervisor page";
  EXPECT_EQ(kernel_word, 0x5eedu);
  uint64_t cr4 = arch::ReadCr4();
  if (arch::Cpuid(7).ebx & (1u << 20)) EXPECT_NE(cr4 & arch::kCr4Smap, 0u);
  if (arch::Cpuid(7).ebx & (1u << 7)) EXPECT_NE(cr4 & arch::kCr4Smep, 0u);
}

TEST_F(UserModeTest, PrivilegedInstructionsRaiseGeneralProtection) {
  UserMode um(Load(ktest_user_priv, ktest_user_priv_end));
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorGeneralProtection);
  EXPECT_EQ(um.context().fault().rip, kCode);  // hlt
  um.context().set_rip(kCode + 1);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorGeneralProtection);
  EXPECT_EQ(um.context().fault().rip, kCode + 1);  // cli
  um.context().set_rip(kCode + 2);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorInvalidOpcode);
  um.context().set_rip(0x0000800000000000);  // non-canonical
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorGeneralProtection);
  EXPECT_EQ(um.context().fault().rip, 0x0000800000000000u);
  // SAFETY: only the address of kernel text is used; user mode cannot fetch it.
  uint64_t text = reinterpret_cast<uint64_t>(&NoEvent);
  um.context().set_rip(text);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorPageFault);
  EXPECT_EQ(um.context().fault().address, text);
  EXPECT_EQ(um.context().fault().error_code & 0x15, 0x15u) << "user fetch, present page";
}

bool HasAvx() {
  if ((arch::ReadCr4() & arch::kCr4Osxsave) == 0) return false;
  return (arch::Xgetbv(0) & 4) != 0;
}

TEST_F(UserModeTest, FpuStateIsPerContext) {
  bool avx = HasAvx();
  const uint8_t* start = avx ? ktest_user_avx : ktest_user_sse;
  const uint8_t* end = avx ? ktest_user_avx_end : ktest_user_sse_end;
  UserMode a(Load(start, end));
  Result<UserContext> cb = UserContext::Create();
  ASSERT_TRUE(cb.has_value());
  UserMode b(std::move(*cb));
  b.context().set_rip(kCode);
  b.context().set_rsp(kStack + kPage);
  a.context().regs().rdi = 0x1111111111111111;
  a.context().regs().rsi = 0xaaaaaaaaaaaaaaaa;
  b.context().regs().rdi = 0x2222222222222222;
  b.context().regs().rsi = 0xbbbbbbbbbbbbbbbb;
  ASSERT_EQ(a.Execute(NoEvent), ReturnReason::kSyscall);
  ASSERT_EQ(a.context().syscall_num(), 1u);
  ASSERT_EQ(b.Execute(NoEvent), ReturnReason::kSyscall);
  ASSERT_EQ(b.context().syscall_num(), 1u);
  a.context().regs().rdi = 0;
  a.context().regs().rsi = 0;
  ASSERT_EQ(a.Execute(NoEvent), ReturnReason::kSyscall);
  ASSERT_EQ(a.context().syscall_num(), 2u);
  EXPECT_EQ(a.context().regs().rdi, 0x1111111111111111u);
  ASSERT_EQ(b.Execute(NoEvent), ReturnReason::kSyscall);
  ASSERT_EQ(b.context().syscall_num(), 2u);
  EXPECT_EQ(b.context().regs().rdi, 0x2222222222222222u);
  if (avx) {
    EXPECT_EQ(a.context().regs().rsi, 0xaaaaaaaaaaaaaaaau) << "upper ymm0 half";
    EXPECT_EQ(b.context().regs().rsi, 0xbbbbbbbbbbbbbbbbu) << "upper ymm0 half";
  }
  EXPECT_GE(UserContext::FpuStateSize(), 512u);
  EXPECT_EQ(UserContext::FpuStateSize() % 64, 0u);
}

TEST_F(UserModeTest, FpuStateRoundTripsThroughUserMemoryAndIsValidated) {
  bool avx = HasAvx();
  UserMode a(
      Load(avx ? ktest_user_avx : ktest_user_sse, avx ? ktest_user_avx_end : ktest_user_sse_end));
  a.context().regs().rdi = 0x1234567812345678;
  a.context().regs().rsi = 0x9abcdef09abcdef0;
  ASSERT_EQ(a.Execute(NoEvent), ReturnReason::kSyscall);  // the state now holds them
  uint64_t size = UserContext::FpuStateSize();
  ASSERT_LE(2 * size, kPage);
  Result<vm::VmWriter<vm::Fallible>> w = space_->Writer(kStack, size);
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(a.context().SaveFpuState(*w).has_value());
  Result<UserContext> b = UserContext::Create();
  ASSERT_TRUE(b.has_value());
  Result<vm::VmReader<vm::Fallible>> r = space_->Reader(kStack, size);
  ASSERT_TRUE(b->LoadFpuState(*r).has_value());
  Result<vm::VmWriter<vm::Fallible>> w2 = space_->Writer(kStack + size, size);
  ASSERT_TRUE(b->SaveFpuState(*w2).has_value());
  for (uint64_t i = 0; i < size; i += 8) {
    ASSERT_EQ(vm::CopyFromUser(vm::UserPtr<uint64_t>(kStack + i)).value(),
              vm::CopyFromUser(vm::UserPtr<uint64_t>(kStack + size + i)).value())
        << "offset " << i;
  }
  // A reserved MXCSR bit (bit 31) would #GP on load: refused, state kept.
  uint32_t mxcsr = vm::CopyFromUser(vm::UserPtr<uint32_t>(kStack + 24)).value();
  ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint32_t>(kStack + 24), mxcsr | 0x80000000u));
  r = space_->Reader(kStack, size);
  EXPECT_EQ(b->LoadFpuState(*r).error(), Errno::kEINVAL);
  ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint32_t>(kStack + 24), mxcsr));
  if (size > 512) {
    // XSTATE_BV naming a feature that is not enabled.
    uint64_t bv = vm::CopyFromUser(vm::UserPtr<uint64_t>(kStack + 512)).value();
    ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint64_t>(kStack + 512), uint64_t{bv | (1ull << 62)}));
    r = space_->Reader(kStack, size);
    EXPECT_EQ(b->LoadFpuState(*r).error(), Errno::kEINVAL);
  }
  // Unmapped source: EFAULT.
  r = space_->Reader(kStack + kPage - 8, size);
  EXPECT_EQ(b->LoadFpuState(*r).error(), Errno::kEFAULT);
}

TEST_F(UserModeTest, FsAndGsBasesReachUserMode) {
  Result<mm::UFrame> f = mm::UFrame::Alloc();
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE(space_->Map(kData, std::move(*f), mm::PageFlags{.writable = true}).has_value());
  ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint64_t>(kData), uint64_t{0xf5f5}).has_value());
  ASSERT_TRUE(vm::CopyToUser(vm::UserPtr<uint64_t>(kData + 24), uint64_t{0x6565}).has_value());
  UserMode um(Load(ktest_user_fs, ktest_user_fs_end));
  ASSERT_TRUE(um.context().set_fs_base(kData).has_value());
  ASSERT_TRUE(um.context().set_gs_base(kData + 16).has_value());
  EXPECT_EQ(um.context().set_fs_base(0x8000000000000000).error(), Errno::kEINVAL);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kSyscall);
  EXPECT_EQ(um.context().regs().rdi, 0xf5f5u);
  EXPECT_EQ(um.context().regs().rsi, 0x6565u);
  EXPECT_EQ(um.context().fs_base(), kData);
  EXPECT_EQ(um.context().gs_base(), kData + 16);
  EXPECT_NE(arch::ReadMsr(arch::kMsrGsBase), kData + 16) << "the kernel GS base is back";
}

TEST_F(UserModeTest, TimerInterruptBecomesKernelEventOnlyWhenAsked) {
  ASSERT_TRUE(arch::InterruptsEnabled());
  UserMode um(Load(ktest_user_spin, ktest_user_spin_end));
  int calls = 0;
  ReturnReason r = um.Execute([&] { return ++calls >= 3; });
  EXPECT_EQ(r, ReturnReason::kKernelEvent);
  EXPECT_EQ(calls, 3) << "false sent the thread straight back to user mode";
  EXPECT_GT(um.context().regs().rbx, 0u) << "the user loop ran";
  EXPECT_GE(um.context().rip(), kCode);
  EXPECT_LT(um.context().rip(), kCode + 8);
  EXPECT_TRUE(arch::InterruptsEnabled());
  uint64_t before = um.context().regs().rbx;
  EXPECT_EQ(um.Execute([] { return true; }), ReturnReason::kKernelEvent);
  EXPECT_GT(um.context().regs().rbx, before) << "resumed where it was interrupted";
}

TEST_F(UserModeTest, TicksInUserModeCountAsUserTicks) {
  // Three timer interrupts taken in user mode are three user ticks of the
  // running task; the kernel spinning afterwards adds system ticks only.
  Task* self = CurrentTask();
  ASSERT_TRUE(self != nullptr);
  Task::CpuTicks before = self->cpu_ticks();
  UserMode um(Load(ktest_user_spin, ktest_user_spin_end));
  int interrupts = 0;
  EXPECT_EQ(um.Execute([&] { return ++interrupts >= 3; }), ReturnReason::kKernelEvent);
  Task::CpuTicks after_user = self->cpu_ticks();
  // Other interrupts (IPIs) also leave user mode: at least one of the three
  // was the timer, and no tick in between was taken in the kernel but the
  // handful of instructions around the transitions.
  EXPECT_GE(after_user.user - before.user, 1u);
  // Spin until two more ticks have landed rather than for a fixed time: on a
  // loaded host QEMU drops the timer interrupts a descheduled vCPU missed, so
  // three tick periods of TSC time can hold a single tick.
  uint64_t give_up = timer::NowNanos() + 20'000'000'000;  // ends only a failing run
  Task::CpuTicks after_kernel = self->cpu_ticks();
  while (after_kernel.user + after_kernel.system < after_user.user + after_user.system + 2 &&
         timer::NowNanos() < give_up) {
    arch::Pause();
    after_kernel = self->cpu_ticks();
  }
  EXPECT_EQ(after_kernel.user, after_user.user);
  EXPECT_GE(after_kernel.system - after_user.system, 2u);
}

TEST_F(UserModeTest, UserCannotRaiseIopl) {
  UserMode um(Load(ktest_user_flags, ktest_user_flags_end));
  constexpr uint64_t kIopl3 = 3ull << 12;
  constexpr uint64_t kNt = 1ull << 14;
  constexpr uint64_t kVm = 1ull << 17;
  // IOPL and VM never reach user mode; NT and CF are the user's to hold.
  um.context().set_rflags(kIopl3 | kVm | kNt | 1);
  EXPECT_EQ(um.context().rflags() & (kIopl3 | kVm), 0u);
  EXPECT_NE(um.context().rflags() & kNt, 0u);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kSyscall);
  uint64_t seen = um.context().regs().rdi;
  EXPECT_EQ(seen & (kIopl3 | kVm), 0u);
  EXPECT_NE(seen & kNt, 0u);  // kept through the entry (an iretq with NT in the frame)
  EXPECT_NE(seen & kFlagsInterrupt, 0u);
  EXPECT_NE(seen & 1, 0u);
  ASSERT_EQ(um.Execute(NoEvent), ReturnReason::kException);
  EXPECT_EQ(um.context().fault().vector, kVectorGeneralProtection) << "cli needs IOPL 3";
}

struct ApRun {
  vm::VmSpace* space;
  UserMode* um;
  uint32_t cpu = 0;
  uint64_t syscalls = 0;
  uint64_t exit_arg = 0;
};

// Runs the syscall program to its exit syscall on the calling CPU (from the
// IPI handler: interrupts off, which Execute allows).
void RunToExit(void* arg) {
  ApRun& run = *static_cast<ApRun*>(arg);
  run.cpu = cpu::CurrentId();
  run.space->Activate();
  for (uint64_t i = 0; i < 10; ++i) {
    if (run.um->Execute(NoEvent) != ReturnReason::kSyscall) break;
    ++run.syscalls;
    if (run.um->context().syscall_num() == 60) {
      run.exit_arg = run.um->context().syscall_arg(0);
      break;
    }
    run.um->context().set_syscall_ret(1);
  }
  vm::VmSpace::ActivateKernel();
}

TEST_F(UserModeTest, EveryCpuCanEnterUserMode) {
  UserMode um(Load(ktest_user_syscall, ktest_user_syscall_end));
  CpuSet others = internal::OnlineCpus();
  others.Remove(cpu::CurrentId());
  ASSERT_FALSE(others.empty());
  uint32_t done = 0;
  for (uint32_t cpu = 0; cpu < kMaxCpus; ++cpu) {
    if (!others.Contains(cpu)) continue;
    um.context().set_rip(kCode);
    um.context().set_rsp(kStack + kPage);
    ApRun run{.space = space_.get(), .um = &um};
    CpuSet target;
    target.Add(cpu);
    internal::CallOnCpus(target, RunToExit, &run);
    EXPECT_EQ(run.cpu, cpu);
    EXPECT_EQ(run.syscalls, 6u) << "on CPU " << cpu;
    EXPECT_EQ(run.exit_arg, 5u) << "on CPU " << cpu;
    ++done;
  }
  EXPECT_EQ(done, others.count());
}

// A moved-from context has no FPU state area: entering user mode with it
// would load the FPU state from address 0. It is a clear panic instead.
TEST_F(UserModeTest, MovedFromContextPanicsInsteadOfEntering) {
  UserContext live = Load(ktest_user_syscall, ktest_user_syscall_end);
  UserContext taken = std::move(live);
  UserMode um(std::move(live));  // deliberately the moved-from context
  KTEST_EXPECT_PANIC("moved-from UserContext");
  um.Execute(NoEvent);
}

}  // namespace
}  // namespace ostd::user
