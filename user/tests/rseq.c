// rseq(2): glibc registers every thread's struct rseq at start-up; the
// kernel keeps cpu_id_start and cpu_id equal to the CPU the thread runs on
// (sched_getcpu reads it); a critical section interrupted by a signal
// resumes at its abort address; registering twice is EBUSY, with another
// signature EPERM, another address or length or unknown flags EINVAL;
// unregistering needs the same address, length (EINVAL) and signature
// (EPERM) and leaves cpu_id at RSEQ_CPU_ID_UNINITIALIZED; a new
// registration must be 32 bytes, 32-byte aligned (EINVAL) and in user
// memory (EFAULT); fork keeps the registration.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#define SIG 0x53053053  // RSEQ_SIG on x86, what glibc registers with

static struct rseq* area(void) {
  return (struct rseq*)((char*)__builtin_thread_pointer() + __rseq_offset);
}

static long sys_rseq(void* addr, uint32_t len, int flags, uint32_t sig) {
  return syscall(SYS_rseq, addr, len, flags, sig);
}

static void on_alarm(int sig) { (void)sig; }

// Spins in a critical section [1, 2) until the kernel moves it to the abort
// address (4): returns 1 there.
static int spin_until_aborted(struct rseq* rs) {
  int aborted;
  __asm__ volatile(
      ".pushsection __rseq_cs_test, \"aw\"\n"
      ".balign 32\n"
      "3:\n"
      ".long 0, 0\n"
      ".quad 1f, (2f - 1f), 4f\n"
      ".popsection\n"
      "leaq 3b(%%rip), %%rax\n"
      "movq %%rax, %[cs]\n"
      "1:\n"
      "jmp 1b\n"
      "2:\n"
      "movl $0, %[ab]\n"
      "jmp 5f\n"
      ".long 0x53053053\n"
      "4:\n"
      "movl $1, %[ab]\n"
      "5:\n"
      : [ab] "=r"(aborted), [cs] "=m"(rs->rseq_cs)
      :
      : "rax", "memory");
  return aborted;
}

static _Alignas(32) struct rseq mine;

int main(void) {
  if (__rseq_size == 0) {
    CHECK(!on_keel());  // Keel takes glibc's registration
    TEST_SKIP("glibc did not register rseq (this kernel refused it)");
    return 0;
  }
  CHECK(__rseq_size >= 20);  // the used part of the 32 bytes glibc registers
  struct rseq* rs = area();

  // cpu_id follows the CPU the thread is pinned to.
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < ncpu && cpu < 4; cpu++) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    CHECK_OK(sched_setaffinity(0, sizeof set, &set));
    CHECK_EQ(rs->cpu_id, (uint32_t)cpu);
    CHECK_EQ(rs->cpu_id_start, (uint32_t)cpu);
    CHECK_EQ(sched_getcpu(), (int)cpu);
  }

  // Registering again.
  CHECK_ERR(sys_rseq(rs, 32, 0, SIG), EBUSY);
  CHECK_ERR(sys_rseq(rs, 32, 0, SIG + 1), EPERM);
  CHECK_ERR(sys_rseq(&mine, 32, 0, SIG), EINVAL);
  CHECK_ERR(sys_rseq(rs, 32, 2, SIG), EINVAL);
  CHECK_ERR(sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER, SIG + 1), EPERM);
  CHECK_ERR(sys_rseq(rs, 64, RSEQ_FLAG_UNREGISTER, SIG), EINVAL);
  CHECK_ERR(sys_rseq(&mine, 32, RSEQ_FLAG_UNREGISTER, SIG), EINVAL);
  CHECK_ERR(sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER | 2, SIG), EINVAL);

  // A critical section interrupted by a signal resumes at its abort address
  // (the handler runs first), and rseq_cs is cleared.
  struct sigaction sa = {.sa_handler = on_alarm};
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  alarm(1);
  CHECK_EQ(spin_until_aborted(rs), 1);
  CHECK_EQ(rs->rseq_cs, 0);

  // fork keeps the registration: the child unregisters and registers anew.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (sys_rseq(rs, 32, 0, SIG) != -1 || errno != EBUSY) _exit(1);
    if (sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER, SIG) != 0) _exit(2);
    if (rs->cpu_id != (uint32_t)RSEQ_CPU_ID_UNINITIALIZED) _exit(3);
    if (sys_rseq(rs, 32, RSEQ_FLAG_UNREGISTER, SIG) != -1 || errno != EINVAL) _exit(4);
    if (sys_rseq((char*)&mine + 8, 32, 0, SIG) != -1 || errno != EINVAL) _exit(5);
    if (sys_rseq(&mine, 16, 0, SIG) != -1 || errno != EINVAL) _exit(6);
    if (sys_rseq((void*)0xffff880000000000ul, 32, 0, SIG) != -1 || errno != EFAULT) _exit(7);
    mine.cpu_id = RSEQ_CPU_ID_UNINITIALIZED;
    if (sys_rseq(&mine, 32, 0, SIG) != 0) _exit(8);
    getppid();  // any return to user mode fills in cpu_id
    if (mine.cpu_id != (uint32_t)sched_getcpu()) _exit(9);
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  return 0;
}
