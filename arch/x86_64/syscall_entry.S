// User-mode entry and exit: entering ring 3 with iretq or sysretq, the
// `syscall` entry point, and the landing pad that user-mode traps return to.
//
// The register block is ostd::user::GeneralRegs (ostd/user/user_context.h) and
// the per-CPU fields are in ostd::internal::CpuLocal; their offsets are fixed
// here and checked by static_asserts in ostd/user/user_mode.cc.
//
// SAFETY: every path runs with interrupts disabled between the switch of GS
// base and the switch of stacks; the kernel's callee-saved registers are kept
// on the kernel stack of arch_user_enter's caller and restored on every way
// back, so arch_user_enter behaves as an ordinary C function to its caller.

// GeneralRegs offsets.
#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_RSP 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120
#define R_RIP 128
#define R_RFLAGS 136

// CpuLocal offsets (through the kernel GS base).
#define CPU_USER_KERNEL_RSP 8
#define CPU_USER_SCRATCH_RSP 16
#define CPU_USER_REGS 24

#define USER_CS (0x20 | 3)
#define USER_DS (0x18 | 3)

// Return values of arch_user_enter.
#define REASON_SYSCALL 1
#define REASON_TRAP 2

    .text

// uint64_t arch_user_enter(GeneralRegs* regs, uint64_t* tss_rsp0, uint64_t use_sysret)
// Called with interrupts disabled. Returns REASON_SYSCALL (regs hold the user
// registers at the syscall) or REASON_TRAP (the trap handler saved them).
    .globl arch_user_enter
    .balign 16
arch_user_enter:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rsi)                   // traps from ring 3 land just below
    movq %rsp, %gs:CPU_USER_KERNEL_RSP
    movq %rdi, %gs:CPU_USER_REGS
    testq %rdx, %rdx
    jnz .Lsysret

    pushq $USER_DS
    pushq R_RSP(%rdi)
    pushq R_RFLAGS(%rdi)
    pushq $USER_CS
    pushq R_RIP(%rdi)
    movq R_RAX(%rdi), %rax
    movq R_RBX(%rdi), %rbx
    movq R_RCX(%rdi), %rcx
    movq R_RDX(%rdi), %rdx
    movq R_RSI(%rdi), %rsi
    movq R_RBP(%rdi), %rbp
    movq R_R8(%rdi), %r8
    movq R_R9(%rdi), %r9
    movq R_R10(%rdi), %r10
    movq R_R11(%rdi), %r11
    movq R_R12(%rdi), %r12
    movq R_R13(%rdi), %r13
    movq R_R14(%rdi), %r14
    movq R_R15(%rdi), %r15
    movq R_RDI(%rdi), %rdi
    swapgs
    iretq

.Lsysret:
    // The caller checked that rip is canonical and rcx == rip, r11 == rflags.
    movq R_RIP(%rdi), %rcx
    movq R_RFLAGS(%rdi), %r11
    movq R_RAX(%rdi), %rax
    movq R_RBX(%rdi), %rbx
    movq R_RDX(%rdi), %rdx
    movq R_RSI(%rdi), %rsi
    movq R_RBP(%rdi), %rbp
    movq R_R8(%rdi), %r8
    movq R_R9(%rdi), %r9
    movq R_R10(%rdi), %r10
    movq R_R12(%rdi), %r12
    movq R_R13(%rdi), %r13
    movq R_R14(%rdi), %r14
    movq R_R15(%rdi), %r15
    movq R_RSP(%rdi), %rsp
    movq R_RDI(%rdi), %rdi
    swapgs
    sysretq

// Entry point of `syscall` (MSR LSTAR). SFMASK has cleared IF, DF, TF and AC.
    .globl arch_syscall_entry
    .balign 16
arch_syscall_entry:
    swapgs
    movq %rsp, %gs:CPU_USER_SCRATCH_RSP
    movq %gs:CPU_USER_REGS, %rsp
    movq %rax, R_RAX(%rsp)
    movq %rbx, R_RBX(%rsp)
    movq %rcx, R_RCX(%rsp)
    movq %rdx, R_RDX(%rsp)
    movq %rsi, R_RSI(%rsp)
    movq %rdi, R_RDI(%rsp)
    movq %rbp, R_RBP(%rsp)
    movq %r8, R_R8(%rsp)
    movq %r9, R_R9(%rsp)
    movq %r10, R_R10(%rsp)
    movq %r11, R_R11(%rsp)
    movq %r12, R_R12(%rsp)
    movq %r13, R_R13(%rsp)
    movq %r14, R_R14(%rsp)
    movq %r15, R_R15(%rsp)
    movq %rcx, R_RIP(%rsp)
    movq %r11, R_RFLAGS(%rsp)
    movq %gs:CPU_USER_SCRATCH_RSP, %rax
    movq %rax, R_RSP(%rsp)
    movq %gs:CPU_USER_KERNEL_RSP, %rsp
    movl $REASON_SYSCALL, %eax
    jmp .Lreturn_to_kernel

// Reached by iretq from trap_entry.S after the trap handler saved the user
// registers and redirected the frame here (ring 0, rsp = the saved kernel
// rsp, interrupts disabled).
    .globl arch_user_trap_exit
    .balign 16
arch_user_trap_exit:
    movl $REASON_TRAP, %eax
.Lreturn_to_kernel:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
