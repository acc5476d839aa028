// Kernel task context switch (see ostd/task/sched.cc).
//
// SAFETY: arch_context_switch follows the SysV ABI: it saves exactly the
// callee-saved registers (rbx, rbp, r12-r15) and the stack pointer of the
// caller, and resumes another context saved the same way (or prepared by
// ostd's task creation in that layout). Kernel code is built with -mno-sse,
// so there is no FPU/SSE state to save here. Interrupts are off across the
// switch (the caller holds an IrqGuard).

    .text

// void arch_context_switch(uint64_t* save_rsp /* rdi */, uint64_t next_rsp /* rsi */)
    .globl arch_context_switch
    .type arch_context_switch, @function
arch_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size arch_context_switch, . - arch_context_switch

// First instruction of a new task: the initial frame's return address. Aligns
// the stack for the ABI and enters ostd_task_entry(), which never returns.
    .globl arch_task_trampoline
    .type arch_task_trampoline, @function
arch_task_trampoline:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call ostd_task_entry
    ud2
    .size arch_task_trampoline, . - arch_task_trampoline

    .section .note.GNU-stack, "", @progbits
