// /bench_true: the smallest static Linux program, exit(0) with no C library,
// so the fork+execve benchmark measures the kernel's exec rather than libc
// start-up. Built with -nostdlib -static (see scripts/bench, user/bench/BUILD).
void _start(void) {
  __asm__ volatile(
      "mov $231, %%eax\n\t"  // exit_group(0)
      "xor %%edi, %%edi\n\t"
      "syscall" ::
          : "memory");
  __builtin_unreachable();
}
