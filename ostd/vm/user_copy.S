// User-memory access routines with exception-table fixups.
//
// Each instruction that may touch user memory is listed in section __ex_table
// as a pair {faulting rip, fixup rip}. A kernel-mode page fault at a user
// address on such an instruction goes to ostd::internal::HandleUserAccessFault
// (extable.cc): it may let the kernel's page-fault hook resolve the fault and
// retry the instruction, or else resumes at the fixup.
//
// SAFETY: the callers (vm_io.cc) pass user ranges that lie below the user-space
// top and kernel ranges they own. SMAP is lifted (stac) only between the stac
// and the clac of each routine, on every path out (normal return and fixup; a
// trap returns with the saved AC flag, so the fixup always runs with AC set and
// clears it). The direction flag is clear in kernel code (the trap entry and
// the C ABI guarantee it), so string instructions go forward.

    .text

// stac/clac only when SMAP is on: both raise #UD on CPUs without SMAP.
// (testb changes only arithmetic flags, which no routine carries across these.)
    .macro SMAP_STAC
    testb $1, arch_smap_enabled(%rip)
    jz 1001f
    stac
1001:
    .endm
    .macro SMAP_CLAC
    testb $1, arch_smap_enabled(%rip)
    jz 1002f
    clac
1002:
    .endm

// Each user load or store of the unrolled loops below, listed in __ex_table
// with the given fixup.
    .macro USER_INSN fixup, insn:vararg
1:  \insn
    .pushsection __ex_table, "a"
    .balign 8
    .quad 1b, \fixup
    .popsection
    .endm

// uint64_t ostd_vm_copy_user(uint64_t dst, uint64_t src, uint64_t len)
// Returns the number of bytes NOT copied (0 on success). The bulk moves
// 64-byte blocks, eight 8-byte loads and stores per loop iteration (Linux's
// copy_user_generic_unrolled has the same shape; under QEMU's TCG a `rep`
// string instruction costs one dispatch per iteration, the loop one per 64
// bytes), then single words, then the last len % 8 bytes as one word that
// overlaps the bytes before (a copy under 8 bytes: two 4-byte moves, or
// bytes singly below 4). rsi, rdi and rdx (bytes left) advance only after a
// block or word is complete, so after a fault anywhere in it the rest is
// retried byte by byte from there and the count stops exactly at the first
// inaccessible byte.

    .globl ostd_vm_copy_user
    .type ostd_vm_copy_user, @function
    .balign 16
ostd_vm_copy_user:
    SMAP_STAC
    cmpq $64, %rdx
    jb .Lcopy_words
.Lcopy_block:
    USER_INSN .Lcopy_tail, movq 0(%rsi), %r8
    USER_INSN .Lcopy_tail, movq 8(%rsi), %r9
    USER_INSN .Lcopy_tail, movq 16(%rsi), %r10
    USER_INSN .Lcopy_tail, movq 24(%rsi), %r11
    USER_INSN .Lcopy_tail, movq %r8, 0(%rdi)
    USER_INSN .Lcopy_tail, movq %r9, 8(%rdi)
    USER_INSN .Lcopy_tail, movq %r10, 16(%rdi)
    USER_INSN .Lcopy_tail, movq %r11, 24(%rdi)
    USER_INSN .Lcopy_tail, movq 32(%rsi), %r8
    USER_INSN .Lcopy_tail, movq 40(%rsi), %r9
    USER_INSN .Lcopy_tail, movq 48(%rsi), %r10
    USER_INSN .Lcopy_tail, movq 56(%rsi), %r11
    USER_INSN .Lcopy_tail, movq %r8, 32(%rdi)
    USER_INSN .Lcopy_tail, movq %r9, 40(%rdi)
    USER_INSN .Lcopy_tail, movq %r10, 48(%rdi)
    USER_INSN .Lcopy_tail, movq %r11, 56(%rdi)
    addq $64, %rsi
    addq $64, %rdi
    subq $64, %rdx
    cmpq $64, %rdx
    jae .Lcopy_block
.Lcopy_words:
    cmpq $8, %rdx
    jb .Lcopy_short
.Lcopy_word:
    USER_INSN .Lcopy_tail, movq (%rsi), %r8
    USER_INSN .Lcopy_tail, movq %r8, (%rdi)
    addq $8, %rsi
    addq $8, %rdi
    subq $8, %rdx
    cmpq $8, %rdx
    jae .Lcopy_word
    testq %rdx, %rdx
    jz .Lcopy_done
    // 1-7 bytes left after at least 8 copied: one word that ends at the end
    // and overlaps bytes already copied (the buffers are distinct), instead
    // of a byte loop.
    USER_INSN .Lcopy_tail, movq -8(%rsi,%rdx), %r8
    USER_INSN .Lcopy_tail, movq %r8, -8(%rdi,%rdx)
    jmp .Lcopy_done
.Lcopy_short:
    // Under 8 bytes: 4-7 as two 4-byte moves that may overlap; 0-3 singly.
    cmpq $4, %rdx
    jb .Lcopy_tail
    USER_INSN .Lcopy_tail, movl (%rsi), %r8d
    USER_INSN .Lcopy_tail, movl -4(%rsi,%rdx), %r9d
    USER_INSN .Lcopy_tail, movl %r8d, (%rdi)
    USER_INSN .Lcopy_tail, movl %r9d, -4(%rdi,%rdx)
.Lcopy_done:
    xorl %ecx, %ecx
    jmp .Lcopy_out
.Lcopy_tail:
    // rdx bytes are left, from rsi to rdi.
    movq %rdx, %rcx
    testq %rcx, %rcx
    jz .Lcopy_out
.Lcopy_load:
    movb (%rsi), %al
.Lcopy_store:
    movb %al, (%rdi)
    incq %rsi
    incq %rdi
    decq %rcx
    jnz .Lcopy_load
.Lcopy_out:
    SMAP_CLAC
    movq %rcx, %rax
    ret
    .size ostd_vm_copy_user, . - ostd_vm_copy_user

// uint64_t ostd_vm_zero_user(uint64_t dst, uint64_t len)
// Returns the number of bytes NOT zeroed (0 on success). Blocks, words and
// bytes, as ostd_vm_copy_user (rsi is the count of bytes left).
    .globl ostd_vm_zero_user
    .type ostd_vm_zero_user, @function
    .balign 16
ostd_vm_zero_user:
    xorl %eax, %eax
    SMAP_STAC
    cmpq $64, %rsi
    jb .Lzero_words
.Lzero_block:
    USER_INSN .Lzero_tail, movq %rax, 0(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 8(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 16(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 24(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 32(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 40(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 48(%rdi)
    USER_INSN .Lzero_tail, movq %rax, 56(%rdi)
    addq $64, %rdi
    subq $64, %rsi
    cmpq $64, %rsi
    jae .Lzero_block
.Lzero_words:
    cmpq $8, %rsi
    jb .Lzero_tail
    USER_INSN .Lzero_tail, movq %rax, (%rdi)
    addq $8, %rdi
    subq $8, %rsi
    jmp .Lzero_words
.Lzero_tail:
    movq %rsi, %rcx
    testq %rcx, %rcx
    jz .Lzero_out
.Lzero_store:
    movb $0, (%rdi)
    incq %rdi
    decq %rcx
    jnz .Lzero_store
.Lzero_out:
    SMAP_CLAC
    movq %rcx, %rax
    ret
    .size ostd_vm_zero_user, . - ostd_vm_zero_user

// struct {uint64_t value, faulted} ostd_vm_load_userN(uint64_t addr)
// One load of N bytes (zero-extended) in rax; rdx = 1 if it faulted.
    .macro LOAD_USER name, insn
    .globl \name
    .type \name, @function
    .balign 16
\name:
    xorl %edx, %edx
    SMAP_STAC
1:  \insn
    SMAP_CLAC
    ret
2:  SMAP_CLAC
    xorl %eax, %eax
    movl $1, %edx
    ret
    .size \name, . - \name
    .pushsection __ex_table, "a"
    .balign 8
    .quad 1b, 2b
    .popsection
    .endm

    LOAD_USER ostd_vm_load_user1, "movzbl (%rdi), %eax"
    LOAD_USER ostd_vm_load_user2, "movzwl (%rdi), %eax"
    LOAD_USER ostd_vm_load_user4, "movl (%rdi), %eax"
    LOAD_USER ostd_vm_load_user8, "movq (%rdi), %rax"

// uint64_t ostd_vm_store_userN(uint64_t addr, uint64_t value)
// One store of the low N bytes of value; returns 1 if it faulted, else 0.
    .macro STORE_USER name, insn
    .globl \name
    .type \name, @function
    .balign 16
\name:
    xorl %eax, %eax
    SMAP_STAC
1:  \insn
    SMAP_CLAC
    ret
2:  SMAP_CLAC
    movl $1, %eax
    ret
    .size \name, . - \name
    .pushsection __ex_table, "a"
    .balign 8
    .quad 1b, 2b
    .popsection
    .endm

    STORE_USER ostd_vm_store_user1, "movb %sil, (%rdi)"
    STORE_USER ostd_vm_store_user2, "movw %si, (%rdi)"
    STORE_USER ostd_vm_store_user4, "movl %esi, (%rdi)"
    STORE_USER ostd_vm_store_user8, "movq %rsi, (%rdi)"

// struct {uint64_t value, faulted} ostd_vm_cmpxchg_user4(uint64_t addr,
//                                                   uint32_t expected,
//                                                   uint32_t desired)
// One `lock cmpxchgl` on the aligned user word at addr: stores desired if the
// word equals expected. rax = the word found (== expected iff stored); rdx = 1
// if it faulted (rax = 0 then). A locked read-modify-write faults as a write,
// so the page-fault hook resolves copy-on-write and demand paging first.
    .globl ostd_vm_cmpxchg_user4
    .type ostd_vm_cmpxchg_user4, @function
    .balign 16
ostd_vm_cmpxchg_user4:
    movl %esi, %eax
    SMAP_STAC
.Lcmpxchg_insn:
    lock cmpxchgl %edx, (%rdi)
    SMAP_CLAC
    xorl %edx, %edx
    ret
.Lcmpxchg_fault:
    SMAP_CLAC
    xorl %eax, %eax
    movl $1, %edx
    ret
    .size ostd_vm_cmpxchg_user4, . - ostd_vm_cmpxchg_user4

    .section __ex_table, "a"
    .balign 8
    .quad .Lcopy_load, .Lcopy_out
    .quad .Lcopy_store, .Lcopy_out
    .quad .Lzero_store, .Lzero_out
    .quad .Lcmpxchg_insn, .Lcmpxchg_fault

    .section .note.GNU-stack, "", @progbits
