// TDCALL: the one instruction a TDX guest talks to the TDX module with
// (ostd/tdx/tdcall.h has the leaves and their register ABI).
//
// SAFETY: arch_tdcall follows the SysV ABI: it saves every callee-saved
// register it or the TDX module may change (rbx, rbp, r12-r15), loads the
// module's inputs from the caller's TdcallRegs, and stores all of its
// outputs back there; nothing else in memory is touched. TDCALL is #UD
// outside a TD: ostd calls this only after cpuid leaf 0x21 said "IntelTDX"
// (a `tdx_sim` kernel routes TdcallPort to the simulator and never calls it).
// Which memory a leaf reads or writes (report buffers, MapGPA ranges) is the
// caller's contract, stated on each TdxGuest method.

    .text

// uint64_t arch_tdcall(TdcallRegs* regs /* rdi */): the status (rax).
// Layout of TdcallRegs: rax, rcx, rdx, r8, r9, r10, r11, r12, r13, r14, r15.
    .globl arch_tdcall
    .type arch_tdcall, @function
arch_tdcall:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    movq 0(%rdi), %rax
    movq 8(%rdi), %rcx
    movq 16(%rdi), %rdx
    movq 24(%rdi), %r8
    movq 32(%rdi), %r9
    movq 40(%rdi), %r10
    movq 48(%rdi), %r11
    movq 56(%rdi), %r12
    movq 64(%rdi), %r13
    movq 72(%rdi), %r14
    movq 80(%rdi), %r15
    .byte 0x66, 0x0f, 0x01, 0xcc  // tdcall
    popq %rdi
    movq %rax, 0(%rdi)
    movq %rcx, 8(%rdi)
    movq %rdx, 16(%rdi)
    movq %r8, 24(%rdi)
    movq %r9, 32(%rdi)
    movq %r10, 40(%rdi)
    movq %r11, 48(%rdi)
    movq %r12, 56(%rdi)
    movq %r13, 64(%rdi)
    movq %r14, 72(%rdi)
    movq %r15, 80(%rdi)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size arch_tdcall, . - arch_tdcall
