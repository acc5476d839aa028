// Trap entry: 256 stubs that push a uniform TrapFrame and call arch_trap_dispatch.
//
// SAFETY: the stubs save and restore every general-purpose register, switch GS
// only when the trap came from user mode (CS RPL 3), and keep the stack 16-byte
// aligned at the call, as the C++ ABI requires. The two probe trampolines
// (arch_probe_fentry, ostd_probe_return_trampoline) run only in kernel mode
// (ostd writes the calls and return addresses that reach them), keep
// interrupts off from their second instruction until rflags is restored, and
// give back every register and rflags as they found them.

// Vectors for which the CPU pushes an error code.
#define HAS_ERROR_CODE(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)

    // The general-purpose registers in TrapFrame order (r15 lowest).
    .macro PUSH_GPRS
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
    .endm
    .macro POP_GPRS
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
    .endm

    // The general-purpose registers in Linux's pt_regs order (r15 lowest),
    // the layout of ostd::patch::ProbeRegs, for the probe trampolines.
    .macro PUSH_PT_REGS
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    .endm
    .macro POP_PT_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    .endm

    // The probe trampolines' common part: with their ProbeRegs frame at rsp
    // (GPRs pushed, orig_rax, rip, rflags and rsp filled in), store cs and
    // ss, call `fn` with the frame, and come back with rsp at the frame (rbx
    // restored from it later). Offsets: rip 128, cs 136, rflags 144, rsp 152,
    // ss 160 (static_asserts in ostd/patch/probe_trap.cc).
    .macro CALL_PROBE_DISPATCH fn
    movl %cs, %eax
    movq %rax, 136(%rsp)
    movl %ss, %eax
    movq %rax, 160(%rsp)
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    cld
    call \fn
    movq %rbx, %rsp
    .endm

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
1:  PUSH_GPRS
    movq %rsp, %rdi
    cld
    call arch_trap_dispatch
    POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              // vector and error code
    iretq

// A probe on a function's patchable entry (ostd/patch/probe.cc): the
// function's first five bytes, the nop of patchable_function_entry(5),
// are replaced by `call arch_probe_fentry`. Builds the frame a #BP at the
// function's first byte would have shown its handlers (rip = that byte, rsp
// = the stack pointer at the function's entry), in pt_regs layout, calls
// arch_probe_fentry_dispatch with interrupts off, and returns into the
// function past the call with every register and rflags as they were. No
// trap, no iretq: about the cost of Linux's ftrace-based kprobes.
    .globl arch_probe_fentry
    .type arch_probe_fentry, @function
arch_probe_fentry:
    pushfq                      // the function's rflags; [rsp+8] = func+5
    cli
    pushq $0                    // ss
    pushq $0                    // rsp
    pushq $0                    // rflags
    pushq $0                    // cs
    pushq $0                    // rip
    pushq $-1                   // orig_rax: not a system call
    PUSH_PT_REGS
    movq 176(%rsp), %rax        // func+5: the call's return address
    subq $5, %rax
    movq %rax, 128(%rsp)        // rip: the probed first byte
    movq 168(%rsp), %rax
    movq %rax, 144(%rsp)        // rflags
    leaq 184(%rsp), %rax
    movq %rax, 152(%rsp)        // rsp at the function's entry
    CALL_PROBE_DISPATCH arch_probe_fentry_dispatch
    POP_PT_REGS
    addq $48, %rsp              // orig_rax .. ss
    popfq                       // interrupts as they were
    ret                         // into the function, past the call
    .size arch_probe_fentry, . - arch_probe_fentry

// The return trampoline of return probes (ostd/patch/probe_return.cc):
// hooked functions return here. It builds a pt_regs frame (rsp just above
// the popped slot), calls ostd_probe_return_dispatch (probe_trap.cc) with
// interrupts off, which runs the return handler and sets the frame's rip to
// the caller's real return address, and resumes there with every register
// and rflags restored: no trap (Linux's rethook trampoline).
    .globl ostd_probe_return_trampoline
    .type ostd_probe_return_trampoline, @function
ostd_probe_return_trampoline:
    pushq $0                      // ss
    pushq $0                      // rsp
    pushfq                        // rflags
    cli
    pushq $0                      // cs
    pushq $0                      // rip
    pushq $-1                     // orig_rax: not a system call
    PUSH_PT_REGS
    leaq 168(%rsp), %rax
    movq %rax, 152(%rsp)          // rsp: just above the popped return slot
    leaq ostd_probe_return_trampoline(%rip), %rax
    movq %rax, 128(%rsp)
    CALL_PROBE_DISPATCH ostd_probe_return_dispatch
    // Resume at the frame's rip and rsp: rip and rflags go just below the
    // target rsp (the dead return slot and the word under it; they may be the
    // frame's own rsp and ss words, read first), and the orig_rax word,
    // popped last, holds where they are.
    movq 152(%rsp), %rax
    movq 128(%rsp), %rcx
    movq 144(%rsp), %rdx
    movq %rcx, -8(%rax)
    movq %rdx, -16(%rax)
    subq $16, %rax
    movq %rax, 120(%rsp)
    POP_PT_REGS
    movq (%rsp), %rsp             // the orig_rax word: the frame's rsp - 16
    popfq                         // interrupts as they were
    ret
    .size ostd_probe_return_trampoline, . - ostd_probe_return_trampoline

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
