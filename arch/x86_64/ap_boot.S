// The application-processor trampoline: real mode -> long mode -> ostd_ap_entry.
//
// This code is never executed where it is linked. ostd/smp copies the bytes
// [ap_trampoline_start, ap_trampoline_end) to a page below 1 MiB, fills in the
// parameter block (ApTrampolineParams in ap_boot.h) and sends INIT-SIPI-SIPI
// with that page's number. The AP starts at CS:IP = page<<8:0 in real mode,
// loads the temporary GDT below, turns on PAE, long mode (+NX) and paging with
// the kernel's CR3 in one step, and far-jumps to the 64-bit entry in the same
// page (identity mapped in the kernel page table while APs start).
//
// The 64-bit entry (ap_wakeup64) is also where a TD's firmware sends an AP
// woken through the ACPI multiprocessor wake-up mailbox: in long mode, on the
// firmware's identity-mapped page tables, with interrupts off and any GDT.
// It loads the GDT below, sets the EFER bits the kernel needs only if one is
// missing (a TD may not write EFER, and its firmware has set them), loads
// the kernel's CR3, reloads CS by a far return, switches to its kernel stack
// and calls ostd_ap_entry(cpu_id) in the kernel image. Every INIT-SIPI start
// runs it too, so the wake-up path's code is the one every boot tests.
//
// SAFETY: everything here runs on a CPU that owns nothing yet; it reads only
// the parameter block that the boot CPU filled in before the SIPI and writes
// only control registers and EFER.

#define OFF(sym) ((sym) - ap_trampoline_start)

    .section .rodata.ap_trampoline, "a"
    .balign 16
    .globl ap_trampoline_start, ap_trampoline_end, ap_trampoline_params
    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl OFF(ap_gdtr)
    movl $((1 << 5) | (1 << 7)), %eax        // CR4: PAE | PGE
    movl %eax, %cr4
    movl OFF(ap_cr3), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx                   // EFER: LME (+ NXE, SCE as on the BSP)
    rdmsr
    orl OFF(ap_efer), %eax
    wrmsr
    movl OFF(ap_cr0), %eax                   // PE | PG | WP ...: straight into long mode
    movl %eax, %cr0
    ljmpl *OFF(ap_far_jump)

    .code64
ap_wakeup64:
    cli
    cld
    lgdt ap_gdtr64(%rip)                     // (64-bit lgdt reads an 8-byte base)
    movl $0xc0000080, %ecx                   // EFER: the kernel's bits, written only if missing
    rdmsr
    movl ap_efer(%rip), %esi
    movl %eax, %edi
    andl %esi, %edi
    cmpl %esi, %edi
    je 1f
    orl %esi, %eax
    wrmsr
1:  movl ap_cr0(%rip), %eax                  // the kernel's CR0 (WP ...), PE and PG kept
    movq %rax, %cr0
    movl ap_cr3(%rip), %eax
    movq %rax, %cr3                          // identity-maps this page too
    movq ap_stack_top(%rip), %rsp            // the far return needs a stack
    leaq ap_long_mode(%rip), %rax
    pushq $0x08
    pushq %rax
    lretq                                    // CS = the 64-bit code segment above

ap_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq ap_stack_top(%rip), %rsp
    movl ap_cpu_id(%rip), %edi
    xorl %ebp, %ebp
    pushq $0                                 // a zero return address ends backtraces
    movabsq $ostd_ap_entry, %rax
    jmp *%rax

    // ---- Parameter block (layout: arch::ApTrampolineParams) ----
    .balign 16
ap_trampoline_params:
ap_gdt:
    .quad 0                                  // null
    // Accessed bits preset: the CPU must not write to the read-only mapping.
    .quad 0x00af9b000000ffff                 // 0x08: 64-bit code
    .quad 0x00cf93000000ffff                 // 0x10: data
ap_gdtr:                                     // offset 24
    .short 23
    .long 0                                  // filled: linear address of ap_gdt
    .short 0
ap_far_jump:                                 // offset 32
    .long 0                                  // filled: linear address of ap_long_mode
    .short 0x08
    .short 0
ap_cr3:      .long 0                         // offset 40
ap_efer:     .long 0                         // offset 44
ap_cr0:      .long 0                         // offset 48
ap_cpu_id:   .long 0                         // offset 52
ap_stack_top: .quad 0                        // offset 56
ap_long_mode_offset: .quad OFF(ap_wakeup64) // offset 64
ap_gdtr64:                                   // offset 72
    .short 23
    .quad 0                                  // filled: linear address of ap_gdt
ap_trampoline_end:
