// The application-processor trampoline (ap_boot.S). Internal to the TCB.
#ifndef ARCH_X86_64_AP_BOOT_H_
#define ARCH_X86_64_AP_BOOT_H_

#include <cstddef>
#include <cstdint>

extern "C" {
// Bounds of the trampoline's bytes in the kernel image (copied, never run there).
extern const char ap_trampoline_start[];
extern const char ap_trampoline_end[];
// The parameter block inside those bytes.
extern const char ap_trampoline_params[];

// The C++ entry every AP jumps to on its own stack, with the kernel's CR3,
// a temporary GDT, interrupts off and no CpuLocal yet. Defined by ostd/smp.
[[noreturn]] void ostd_ap_entry(uint32_t cpu_id);
}

namespace arch {

// The parameter block at the end of the trampoline; the boot CPU fills in the
// fields marked "in" in the copy below 1 MiB before sending the SIPI.
struct __attribute__((packed)) ApTrampolineParams {
  uint64_t gdt[3];
  uint16_t gdt_limit;
  uint32_t gdt_base;  // in: physical address of gdt in the copy
  uint16_t pad0;
  uint32_t far_jump_offset;  // in: physical address of the 64-bit entry in the copy
  uint16_t far_jump_selector;
  uint16_t pad1;
  uint32_t cr3;        // in: kernel page table root (below 4 GiB)
  uint32_t efer;       // in: EFER bits to set (LME, NXE, SCE)
  uint32_t cr0;        // in: CR0 (with PE, PG)
  uint32_t cpu_id;     // in: the AP's ostd CPU index
  uint64_t stack_top;  // in: the AP's kernel stack top (virtual)
  // out: offset of the 64-bit entry from the start: the real-mode path's
  // far jump target and the wake-up vector of the MADT mailbox
  uint64_t long_mode_offset;
  uint16_t gdt64_limit;
  uint64_t gdt64_base;  // in: gdt_base again, for the 64-bit entry's lgdt
};
static_assert(offsetof(ApTrampolineParams, gdt_limit) == 24);
static_assert(offsetof(ApTrampolineParams, far_jump_offset) == 32);
static_assert(offsetof(ApTrampolineParams, cr3) == 40);
static_assert(offsetof(ApTrampolineParams, stack_top) == 56);
static_assert(offsetof(ApTrampolineParams, gdt64_limit) == 72);
static_assert(sizeof(ApTrampolineParams) == 82);

}  // namespace arch

#endif  // ARCH_X86_64_AP_BOOT_H_
