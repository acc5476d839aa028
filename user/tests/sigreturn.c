// rt_sigreturn restores the interrupted context: callee-saved registers and
// SSE registers set before a signal survive a handler that clobbers them.
#include <signal.h>
#include <stdint.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

static volatile sig_atomic_t ran;

__attribute__((noinline)) static void handler(int sig) {
  (void)sig;
  ran = 1;
  // Clobber SSE and general registers inside the handler.
  __asm__ volatile(
      "pxor %%xmm0, %%xmm0\n pxor %%xmm1, %%xmm1\n pxor %%xmm8, %%xmm8\n pxor %%xmm15, %%xmm15\n"
      "xor %%r12, %%r12\n xor %%r13, %%r13\n xor %%r14, %%r14\n xor %%r15, %%r15\n" ::
          : "xmm0", "xmm1", "xmm8", "xmm15", "r12", "r13", "r14", "r15");
  double d = 1.0;
  for (int i = 0; i < 100; ++i) d = d * 1.0001 + 0.5;
  CHECK(d > 1);
}

int main(void) {
  signal(SIGUSR1, handler);
  uint64_t r12, r13, r14, r15, x0, x8, x15;
  long pid = getpid();
  long tid = syscall(SYS_gettid);
  // Load known values, send the signal with a raw tgkill (the handler runs
  // on the way back to user space), read the registers back.
  __asm__ volatile(
      "mov $0x1212121212121212, %%r12\n"
      "mov $0x1313131313131313, %%r13\n"
      "mov $0x1414141414141414, %%r14\n"
      "mov $0x1515151515151515, %%r15\n"
      "mov $0x0a0a0a0a0a0a0a0a, %%rax\n movq %%rax, %%xmm0\n"
      "mov $0x0808080808080808, %%rax\n movq %%rax, %%xmm8\n"
      "mov $0x0f0f0f0f0f0f0f0f, %%rax\n movq %%rax, %%xmm15\n"
      "mov $234, %%eax\n"                                         // SYS_tgkill
      "mov %[pid], %%rdi\n mov %[tid], %%rsi\n mov $10, %%edx\n"  // SIGUSR1
      "syscall\n"
      "mov %%r12, %[r12]\n mov %%r13, %[r13]\n mov %%r14, %[r14]\n mov %%r15, %[r15]\n"
      "movq %%xmm0, %[x0]\n movq %%xmm8, %[x8]\n movq %%xmm15, %[x15]\n"
      : [r12] "=m"(r12), [r13] "=m"(r13), [r14] "=m"(r14), [r15] "=m"(r15), [x0] "=m"(x0),
        [x8] "=m"(x8), [x15] "=m"(x15)
      : [pid] "r"(pid), [tid] "r"(tid)
      : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "r12", "r13", "r14", "r15", "xmm0", "xmm8",
        "xmm15", "memory");
  CHECK(ran);
  CHECK(r12 == 0x1212121212121212ull);
  CHECK(r13 == 0x1313131313131313ull);
  CHECK(r14 == 0x1414141414141414ull);
  CHECK(r15 == 0x1515151515151515ull);
  CHECK(x0 == 0x0a0a0a0a0a0a0a0aull);
  CHECK(x8 == 0x0808080808080808ull);
  CHECK(x15 == 0x0f0f0f0f0f0f0f0full);
  return 0;
}
