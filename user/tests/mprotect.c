// mprotect: writes to a read-only page fault (SIGSEGV with si_addr and
// SEGV_ACCERR); PROT_NONE faults on read; restoring RW makes it work.
#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static sigjmp_buf env;
static void* fault_addr;
static int fault_code;

static void on_segv(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(env, sig);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  volatile char* p =
      mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  p[0] = 1;
  CHECK_OK(mprotect((void*)p, 4096, PROT_READ));
  if (sigsetjmp(env, 1) == 0) {
    p[10] = 2;
    CHECK(!"write to a read-only page did not fault");
  }
  CHECK(fault_addr == (void*)(p + 10));
  CHECK_EQ(fault_code, SEGV_ACCERR);
  CHECK_EQ(p[0], 1);
  p[4096] = 3;  // the second page is still writable
  CHECK_OK(mprotect((void*)p, 4096, PROT_NONE));
  fault_addr = NULL;
  if (sigsetjmp(env, 1) == 0) {
    (void)p[0];
    CHECK(!"read of a PROT_NONE page did not fault");
  }
  CHECK(fault_addr == (void*)p);
  // The kernel may not touch it either: I/O through it is EFAULT.
  int fds[2];
  CHECK_OK(pipe(fds));
  CHECK_EQ(write(fds[1], "abc", 3), 3);
  CHECK_ERR(read(fds[0], (void*)p, 3), EFAULT);
  CHECK_ERR(write(fds[1], (void*)p, 3), EFAULT);
  close(fds[0]);
  close(fds[1]);
  CHECK_OK(mprotect((void*)p, 4096, PROT_READ | PROT_WRITE));
  CHECK_EQ(p[0], 1);  // the data survived PROT_NONE
  p[0] = 5;
  CHECK_EQ(p[0], 5);
  CHECK_ERR(mprotect((void*)(p + 1), 4096, PROT_READ), EINVAL);
  CHECK_ERR(mprotect((void*)p, 4096, 0x100), EINVAL);  // unknown bit
  // prot is an unsigned long that Linux checks in full: a bit above 31 is EINVAL.
  CHECK_ERR(syscall(SYS_mprotect, p, 4096L, (1UL << 32) | PROT_READ), EINVAL);
  return 0;
}
