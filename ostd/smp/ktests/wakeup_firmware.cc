// A TD's firmware, played on QEMU (whose firmware has no ACPI wake-up
// mailbox), so the multiprocessor wake-up path runs in a kernel: before
// ostd starts the APs, this parks each of them on a mailbox page of its own
// (INIT-SIPI into the trampoline, whose far jump is pointed at the park loop
// below for the occasion); ostd then finds the mailbox as if the MADT had
// named it and wakes every AP through it to the trampoline's 64-bit entry.
// The park loop is what TDVF's AP loop does: wait for the wake-up command
// with this CPU's APIC id, read the vector, acknowledge by clearing the
// command, jump. It runs on the kernel's page tables rather than the
// firmware's identity map, and reads its APIC id with cpuid.
#include "ostd/smp/internal/wakeup_firmware.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "ostd/cpu.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/frame_alloc.h"
#include "ostd/internal/interrupts.h"
#include "ostd/internal/layout.h"
#include "ostd/internal/smp.h"
#include "ostd/log.h"
#include "ostd/sync.h"
#include "ostd/timer.h"

// The park loop, position independent, no stack (the AP has none yet).
// Counters in the firmware's half of the mailbox page: +2048 parked, +2052
// woken.
asm(R"(
    .pushsection .rodata.ktest_wakeup_firmware, "a"
    .globl ktest_fw_park, ktest_fw_park_end, ktest_fw_mailbox_slot
    .code64
ktest_fw_park:
    cli
    movq ktest_fw_mailbox_slot(%rip), %rsi
    movl $1, %eax
    xorl %ecx, %ecx
    cpuid
    shrl $24, %ebx
    lock incl 2048(%rsi)
1:  pause
    cmpw $1, (%rsi)
    jne 1b
    cmpl %ebx, 4(%rsi)
    jne 1b
    movq 8(%rsi), %rax
    lock incl 2052(%rsi)
    movw $0, (%rsi)
    jmp *%rax
    .balign 8
ktest_fw_mailbox_slot:
    .quad 0
ktest_fw_park_end:
    .popsection
)");

extern "C" {
extern const uint8_t ktest_fw_park[], ktest_fw_park_end[], ktest_fw_mailbox_slot[];
}

namespace ostd {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kParkOffset = 2048;  // in the trampoline page, past the trampoline
Paddr g_mailbox = 0;
uint32_t g_parked_aps = 0;

// SAFETY: `off` is one of the two counters in the mailbox page (linear map,
// 4-byte aligned), which the parked APs update with locked instructions.
uint32_t Counter(uint64_t off) {
  auto* p = reinterpret_cast<uint32_t*>(internal::PhysToVirt(g_mailbox + off));
  return std::atomic_ref<uint32_t>(*p).load(std::memory_order_acquire);
}

}  // namespace

namespace internal {

std::optional<klib::MadtWakeup> SimulatedWakeupFirmware(Paddr page,
                                                        arch::ApTrampolineParams& params,
                                                        std::span<const uint32_t> apic_ids) {
  Result<Paddr> mb = mm::FrameAllocOptions().AllocContiguous(1);  // zeroed
  if (!mb) return std::nullopt;
  g_mailbox = *mb;
  // SAFETY: the symbols bracket the park loop in .rodata; it fits in the
  // trampoline page's second half, which the trampoline does not use.
  std::span<const uint8_t> park(ktest_fw_park, ktest_fw_park_end);
  if (park.size() > kPage - kParkOffset) return std::nullopt;
  std::span<uint8_t> dst = PhysBytes(page + kParkOffset, park.size());
  for (size_t i = 0; i < park.size(); ++i) dst[i] = park[i];
  uint64_t slot = static_cast<uint64_t>(ktest_fw_mailbox_slot - ktest_fw_park);
  uint64_t mailbox_va = PhysToVirt(g_mailbox);
  for (size_t i = 0; i < 8; ++i) dst[slot + i] = static_cast<uint8_t>(mailbox_va >> (8 * i));

  uint32_t saved = params.far_jump_offset;
  params.far_jump_offset = static_cast<uint32_t>(page + kParkOffset);
  arch::Lapic lapic = LocalApic();
  uint32_t self = ThisCpu().apic_id;
  for (uint32_t id : apic_ids) {
    if (id == self) continue;
    {
      IrqGuard irq_off;
      lapic.SendInit(id);
    }
    timer::SpinDelayNanos(10'000'000);
    for (int i = 0; i < 2; ++i) {
      IrqGuard irq_off;
      lapic.SendStartup(id, static_cast<uint8_t>(page >> 12));
    }
    ++g_parked_aps;
  }
  uint64_t deadline = timer::NowNanos() + 10'000'000'000;
  while (Counter(2048) < g_parked_aps && timer::NowNanos() < deadline) arch::Pause();
  params.far_jump_offset = saved;
  OSTD_LOG_INFO("wakeup_firmware: {} of {} APs parked on the mailbox at {:#x}", Counter(2048),
                g_parked_aps, g_mailbox);
  return klib::MadtWakeup{1, g_mailbox};
}

}  // namespace internal

namespace {

TEST(WakeupMailboxTest, EveryApCameThroughTheMailbox) {
  ASSERT_NE(g_mailbox, 0u);
  EXPECT_EQ(Counter(2048), g_parked_aps);
  EXPECT_EQ(Counter(2052), g_parked_aps);  // each took its own wake-up
  EXPECT_EQ(cpu::Count(), g_parked_aps + 1);
  EXPECT_EQ(internal::OnlineCpus(), CpuSet::FirstN(g_parked_aps + 1));
}

}  // namespace
}  // namespace ostd
