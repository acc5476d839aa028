// Trap entry: 256 stubs that push a uniform TrapFrame and call arch_trap_dispatch.
//
// SAFETY: the stubs save and restore every general-purpose register, switch GS
// only when the trap came from user mode (CS RPL 3), and keep the stack 16-byte
// aligned at the call, as the C++ ABI requires.

// Vectors for which the CPU pushes an error code.
#define HAS_ERROR_CODE(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)

    .altmacro
    .macro TRAP_STUB n
    .balign 16
    .if HAS_ERROR_CODE(\n)
    .else
    pushq $0
    .endif
    pushq $\n
    jmp trap_common
    .endm

    // In the no-probe set: a breakpoint here would recurse into itself.
    .section .text.noprobe, "ax", @progbits
    .balign 16
    .globl arch_trap_stubs
arch_trap_stubs:
    .set vec, 0
    .rept 256
    TRAP_STUB %vec
    .set vec, vec + 1
    .endr

trap_common:
    testb $3, 24(%rsp)          // saved CS
    jz 1f
    swapgs
1:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call arch_trap_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              // vector and error code
    iretq

// A probe on a function's patchable entry (ostd/patch/probe.cc): the
// function's first five bytes, the nop OSTD_PROBE_ENTRY put there,
// are replaced by `call arch_probe_fentry`. Builds the TrapFrame a #BP at the
// function's first byte would have made (rip = that byte, rsp = the stack
// pointer at the function's entry, vector 3), calls
// arch_probe_fentry_dispatch with interrupts off, and returns into the
// function past the call with every register and rflags as they were. No
// trap, no iretq: about the cost of Linux's ftrace-based kprobes.
    .globl arch_probe_fentry
arch_probe_fentry:
    pushfq                      // the function's rflags; [rsp+8] = func+5
    cli
    pushq $0                    // ss
    pushq $0                    // rsp
    pushq $0                    // rflags
    pushq $0                    // cs
    pushq $0                    // rip
    pushq $0                    // error code
    pushq $3                    // vector: #BP
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq 184(%rsp), %rax        // func+5: the call's return address
    subq $5, %rax
    movq %rax, 136(%rsp)        // rip: the probed first byte
    movl %cs, %eax
    movq %rax, 144(%rsp)
    movq 176(%rsp), %rax
    movq %rax, 152(%rsp)        // rflags
    leaq 192(%rsp), %rax
    movq %rax, 160(%rsp)        // rsp at the function's entry
    movl %ss, %eax
    movq %rax, 168(%rsp)
    movq %rsp, %rdi
    movq %rsp, %rbx             // rbx is restored from the frame below
    andq $-16, %rsp
    cld
    call arch_probe_fentry_dispatch
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $56, %rsp              // vector .. ss
    popfq                       // interrupts as they were
    ret                         // into the function, past the call

// uint64_t arch_try_call(void (*fn)(void*), void* arg, RecoveryContext* ctx)
    .globl arch_try_call
arch_try_call:
    movq %rbx, 0(%rdx)
    movq %rbp, 8(%rdx)
    movq %r12, 16(%rdx)
    movq %r13, 24(%rdx)
    movq %r14, 32(%rdx)
    movq %r15, 40(%rdx)
    movq %rsp, 48(%rdx)         // points at our return address
    movq %rdi, %rax
    movq %rsi, %rdi
    subq $8, %rsp               // keep the call 16-byte aligned
    call *%rax
    addq $8, %rsp
    xorl %eax, %eax
    ret

// Entered by iretq from a trap handler with rdi = the RecoveryContext.
    .globl arch_try_recover
arch_try_recover:
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    movl $1, %eax
    ret
