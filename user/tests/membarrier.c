// membarrier(2): QUERY's mask, the flag and command errors, EPERM for a
// private command before its registration, registrations per process (kept
// by threads and fork, cleared by execve), barriers while another
// thread spins in user mode, and MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
// aborting a thread that spins inside an rseq critical section on another
// CPU (nothing else would: that CPU has no other work).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <linux/membarrier.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static int membarrier(int cmd, unsigned flags, int cpu) {
  return (int)syscall(SYS_membarrier, cmd, flags, cpu);
}

static atomic_int g_stop;
static atomic_long g_spins;

static void* spinner(void* arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) atomic_fetch_add(&g_spins, 1);
  return NULL;
}

// Spins inside an rseq critical section until the kernel aborts it: the
// section (start 1, end 2, abort 4) is announced in the thread's struct
// rseq; the signature precedes the abort handler, as the ABI requires.
static atomic_int g_in_cs, g_aborted;

static void pin(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  CHECK_OK(sched_setaffinity(0, sizeof one, &one));
}

static void* rseq_spinner(void* arg) {
  if (arg != NULL) pin(1);  // alone on CPU 1: nothing else preempts it there
  struct rseq* rs = (struct rseq*)((char*)__builtin_thread_pointer() + __rseq_offset);
  atomic_store(&g_in_cs, 1);
  __asm__ volatile(
      ".pushsection __rseq_cs, \"aw\"\n"
      ".balign 32\n"
      "3: .long 0, 0\n"
      ".quad 1f, 2f - 1f, 4f\n"
      ".popsection\n"
      "leaq 3b(%%rip), %%rax\n"
      "movq %%rax, %[cs]\n"
      "1: jmp 1b\n"
      "2: .long 0x53053053\n"
      "4:\n"
      : [cs] "=m"(rs->rseq_cs)
      :
      : "rax", "memory");
  atomic_store(&g_aborted, 1);
  return NULL;
}

static void check_rseq_abort(void) {
  if (__rseq_size == 0) {
    printf("membarrier: glibc registered no rseq area; rseq abort not checked\n");
    return;
  }
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t old;
  CHECK_OK(sched_getaffinity(0, sizeof old, &old));
  if (cpus >= 2) pin(0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, rseq_spinner, cpus >= 2 ? &g_in_cs : NULL) == 0);
  while (!atomic_load(&g_in_cs)) sched_yield();
  usleep(20000);
  // One CPU: the spinner only ran because it was preempted, which aborts too.
  for (int i = 0; i < 100 && !atomic_load(&g_aborted); ++i) {
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
    usleep(10000);
  }
  CHECK(atomic_load(&g_aborted));
  CHECK(pthread_join(th, NULL) == 0);
  CHECK_OK(sched_setaffinity(0, sizeof old, &old));
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
    // execve gave this process a fresh registration state.
    CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
    return 0;
  }
  int mask = CHECK_OK(membarrier(MEMBARRIER_CMD_QUERY, 0, 0));
  int want = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
             MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
             MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
             MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ;
  CHECK_EQ(mask & want, want);
  // Errors: flags (only the RSEQ command takes MEMBARRIER_CMD_FLAG_CPU),
  // unknown commands.
  CHECK_ERR(membarrier(MEMBARRIER_CMD_QUERY, 1, 0), EINVAL);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_GLOBAL, 2, 0), EINVAL);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_FLAG_CPU, 0), EINVAL);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 2, 0), EINVAL);
  CHECK_ERR(membarrier(1 << 12, 0, 0), EINVAL);
  CHECK_ERR(membarrier(-1, 0, 0), EINVAL);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EINVAL);
  // Unregistered private commands.
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), EPERM);
  // Global barriers need nothing.
  CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0), 0);
  CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0), 0);
  CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0), 0);
  // Registration of one command does not register the others.
  CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
  CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), 0);
  CHECK_ERR(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM);
  CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
  CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
  // With another thread spinning in user mode: every barrier returns, and
  // the spinner keeps running.
  pthread_t th;
  CHECK(pthread_create(&th, NULL, spinner, NULL) == 0);
  while (atomic_load(&g_spins) == 0) sched_yield();
  for (int i = 0; i < 200; ++i) {
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), 0);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, 0), 0);
    // A CPU that does not exist is no error.
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, 4096), 0);
  }
  long before = atomic_load(&g_spins);
  while (atomic_load(&g_spins) == before) sched_yield();
  atomic_store(&g_stop, 1);
  CHECK(pthread_join(th, NULL) == 0);
  check_rseq_abort();
  // A forked child's memory is a copy, registration included; execve
  // clears it.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) _exit(1);
    _exit(0);
  }
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  pid = CHECK_OK(fork());
  if (pid == 0) {
    execl("/proc/self/exe", argv[0], "after-exec", (char*)NULL);
    _exit(2);
  }
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  printf("membarrier: ok\n");
  return 0;
}
