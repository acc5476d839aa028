// Keel's first instructions: boot protocol headers and the switch to long mode.
//
// Two loaders reach the same 32-bit entry with paging off:
//   * QEMU `-kernel` through the PVH ELF note (Xen PHYS32_ENTRY): ebx = hvm_start_info.
//   * GRUB (UEFI under OVMF) through Multiboot2: eax = 0x36d76289, ebx = the info block.
// Both then share one path: clear .bss, build boot page tables (identity and a
// linear map of the first 4 GiB, plus the kernel at -2 GiB), enable PAE, long
// mode and NX, and call ostd_boot_entry(protocol, info_paddr, magic) on the boot stack.
//
// Keel's own EFI stub (arch/x86_64/efi/stub.cc) enters at efi64_entry instead,
// found through the `Keel` ELF note: already in long mode on the firmware's
// identity map, after ExitBootServices, with rdi = the hand-off block
// (arch/x86_64/efi/handoff.h, below 4 GiB) and esi = its magic. It clears .bss
// and builds the same page tables with the same code, switches to them and to
// Keel's GDT, and joins the path above at entry64_low.
//
// SAFETY: this file runs before any invariant exists; it only touches memory
// inside the kernel image (its own .data/.bss) and the control registers.

#define KERNEL_VMA 0xffffffff80000000
#define PHYS(x) ((x) - KERNEL_VMA)

#define BOOT_PROTOCOL_PVH 1
#define BOOT_PROTOCOL_MULTIBOOT2 2
#define BOOT_PROTOCOL_UEFI 3                  // arch::efi::kBootProtocolUefi

#define KEEL_NOTE_EFI64_ENTRY 1               // arch::efi::kNoteTypeEfi64Entry

#define MB2_HEADER_MAGIC 0xe85250d6

// ---- Multiboot2 header (must be in the first 32 KiB of the image) ----
    .section .boot.header, "a"
    .balign 8
mb2_header_start:
    .long MB2_HEADER_MAGIC
    .long 0                                   // architecture: i386 protected mode
    .long mb2_header_end - mb2_header_start
    .long -(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header_start))
    // Entry address tag: enter at the physical 32-bit entry.
    .balign 8
    .short 3, 0
    .long 12
    .long PHYS(mb2_entry)
    // End tag.
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

// ---- PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18) ----
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                                   // name size ("Xen\0")
    .long 8                                   // descriptor size
    .long 18                                  // XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad PHYS(pvh_entry)
    .balign 4

// ---- Keel EFI entry note: the stub enters the kernel here ----
    .section .note.keel, "a", @note
    .balign 4
    .long 5                                   // name size ("Keel\0")
    .long 8                                   // descriptor size
    .long KEEL_NOTE_EFI64_ENTRY
    .asciz "Keel"
    .balign 4
    .quad PHYS(efi64_entry)
    .balign 4

// Clears .bss and fills the boot page tables (both live in .bss): 2048 large
// pages covering 0..4 GiB, mapped at 0 (identity), at the linear-map base and
// (the first GiB) at -2 GiB for the kernel. Assembles for 32- and 64-bit mode
// alike (32-bit registers only; 64-bit mode zero-extends them). Clobbers eax,
// ebx, ecx, edi.
.macro BUILD_BOOT_PAGE_TABLES
    movl $PHYS(__bss_start), %edi
    movl $PHYS(__bss_end), %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    // Boot page directories: 2048 large pages covering 0..4 GiB.
    movl $PHYS(boot_pd), %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                           // present | writable | 2 MiB page
    movl %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    // PDPT for identity and linear map: 4 entries, one per GiB.
    movl $PHYS(boot_pdpt_low), %ebx
    movl $(PHYS(boot_pd) + 0x3), %eax
    movl %eax, 0(%ebx)
    addl $4096, %eax
    movl %eax, 8(%ebx)
    addl $4096, %eax
    movl %eax, 16(%ebx)
    addl $4096, %eax
    movl %eax, 24(%ebx)

    // PDPT for the kernel: 0xffffffff80000000 -> physical 0 (entry 510).
    movl $PHYS(boot_pdpt_high), %ebx
    movl $(PHYS(boot_pd) + 0x3), %eax
    movl %eax, (510 * 8)(%ebx)

    // PML4: identity (0), linear map at 0xffff800000000000 (256), kernel (511).
    movl $PHYS(boot_pml4), %ebx
    movl $(PHYS(boot_pdpt_low) + 0x3), %eax
    movl %eax, 0(%ebx)
    movl %eax, (256 * 8)(%ebx)
    movl $(PHYS(boot_pdpt_high) + 0x3), %eax
    movl %eax, (511 * 8)(%ebx)
.endm

// ---- 32-bit entry ----
    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
mb2_entry:
    cli
    cld
    movl %eax, PHYS(boot_magic)
    movl %ebx, PHYS(boot_info_paddr)
    movl $BOOT_PROTOCOL_MULTIBOOT2, PHYS(boot_protocol)
    jmp common32

pvh_entry:
    cli
    cld
    movl %ebx, PHYS(boot_info_paddr)
    movl $BOOT_PROTOCOL_PVH, PHYS(boot_protocol)

common32:
    // Clear .bss (holds the boot stack and page tables) and build the tables.
    BUILD_BOOT_PAGE_TABLES
    movl $PHYS(boot_stack_top), %esp

    // PAE on, load CR3.
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3

    // EFER: long mode enable, and no-execute enable when the CPU has it.
    movl $0x80000001, %eax
    cpuid
    movl $(1 << 8), %esi                      // LME
    testl $(1 << 20), %edx
    jz 2f
    orl $(1 << 11), %esi                      // NXE
2:  movl $0xc0000080, %ecx
    rdmsr
    orl %esi, %eax
    wrmsr

    // Paging on, write-protect in ring 0, protected mode.
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax
    movl %eax, %cr0

    lgdt PHYS(boot_gdt_ptr)
    ljmp $0x08, $PHYS(entry64_low)

    .code64
// The EFI stub's entry (see the top of this file): rdi = hand-off block, esi = magic.
    .globl efi64_entry
efi64_entry:
    cli
    cld
    movl %edi, PHYS(boot_info_paddr)
    movl %esi, PHYS(boot_magic)
    movl $BOOT_PROTOCOL_UEFI, PHYS(boot_protocol)
    BUILD_BOOT_PAGE_TABLES
    movl $PHYS(boot_stack_top), %esp

    // No-execute enable when the CPU has it (firmware usually set it
    // already). Written only if missing: in a TD the TDX module has set it,
    // and a wrmsr of EFER would raise a #VE before any handler exists.
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 20), %edx
    jz 4f
    movl $0xc0000080, %ecx
    rdmsr
    testl $(1 << 11), %eax
    jnz 4f
    orl $(1 << 11), %eax
    wrmsr
4:
    // Keel's tables: they identity-map this code too. Then drop global pages so
    // no firmware translation survives the switch, and write-protect in ring 0.
    movl $PHYS(boot_pml4), %eax
    movq %rax, %cr3
    movq %cr4, %rax
    andl $~(1 << 7), %eax                     // PGE off flushes global TLB entries
    movq %rax, %cr4
    movq %cr0, %rax
    orl $(1 << 16), %eax
    movq %rax, %cr0

    lgdt PHYS(boot_gdt_ptr64)
    pushq $0x08
    movl $PHYS(entry64_low), %eax
    pushq %rax
    lretq

entry64_low:
    movabsq $entry64_high, %rax
    jmp *%rax

    .text
entry64_high:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl boot_protocol(%rip), %edi
    movl boot_info_paddr(%rip), %esi
    movl boot_magic(%rip), %edx
    call ostd_boot_entry
3:  cli
    hlt
    jmp 3b

// ---- Data ----
    .section .rodata
    .balign 16
boot_gdt:
    .quad 0                                   // null
    .quad 0x00af9a000000ffff                  // 0x08: 64-bit code
    .quad 0x00cf92000000ffff                  // 0x10: data
boot_gdt_end:
    .balign 8
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)
    .balign 8
boot_gdt_ptr64:                               // lgdt in 64-bit mode reads an 8-byte base
    .short boot_gdt_end - boot_gdt - 1
    .quad PHYS(boot_gdt)

    .data
    .balign 4
boot_protocol:   .long 0
boot_info_paddr: .long 0
boot_magic:      .long 0

    .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:       .skip 4096
boot_pdpt_low:   .skip 4096
boot_pdpt_high:  .skip 4096
boot_pd:         .skip 4096 * 4
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip 65536
boot_stack_top:
