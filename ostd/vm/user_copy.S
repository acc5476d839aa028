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

// uint64_t ostd_vm_copy_user(uint64_t dst, uint64_t src, uint64_t len)
// Returns the number of bytes NOT copied (0 on success). The bulk moves
// 8-byte words (`rep movsq`; `rep movsb` costs eight times as many
// iterations under emulators such as QEMU's TCG), the last len % 8 bytes
// singly. After a fault in either, the rest is retried byte by byte so that
// the count stops exactly at the first inaccessible byte.

    .globl ostd_vm_copy_user
    .type ostd_vm_copy_user, @function
    .balign 16
ostd_vm_copy_user:
    movq %rdx, %rcx
    shrq $3, %rcx
    andl $7, %edx
    SMAP_STAC
.Lcopy_bulk8:
    rep movsq
    movq %rdx, %rcx
.Lcopy_bulk:
    rep movsb
    SMAP_CLAC
    xorl %eax, %eax
    ret
.Lcopy_fault8:
    // rcx words and rdx bytes were left.
    shlq $3, %rcx
    addq %rdx, %rcx
.Lcopy_tail:
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
// Returns the number of bytes NOT zeroed (0 on success). Words first, as
// ostd_vm_copy_user does.
    .globl ostd_vm_zero_user
    .type ostd_vm_zero_user, @function
    .balign 16
ostd_vm_zero_user:
    movq %rsi, %rcx
    shrq $3, %rcx
    andl $7, %esi
    xorl %eax, %eax
    SMAP_STAC
.Lzero_bulk8:
    rep stosq
    movq %rsi, %rcx
.Lzero_bulk:
    rep stosb
    SMAP_CLAC
    xorl %eax, %eax
    ret
.Lzero_fault8:
    shlq $3, %rcx
    addq %rsi, %rcx
.Lzero_tail:
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
    .quad .Lcopy_bulk8, .Lcopy_fault8
    .quad .Lcopy_bulk, .Lcopy_tail
    .quad .Lcopy_load, .Lcopy_out
    .quad .Lcopy_store, .Lcopy_out
    .quad .Lzero_bulk8, .Lzero_fault8
    .quad .Lzero_bulk, .Lzero_tail
    .quad .Lzero_store, .Lzero_out
    .quad .Lcmpxchg_insn, .Lcmpxchg_fault

    .section .note.GNU-stack, "", @progbits
