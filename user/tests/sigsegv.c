// SIGSEGV: a handler sees si_addr for NULL and for a kernel address, and
// escapes with siglongjmp; without a handler the process dies by SIGSEGV.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

#include <sys/wait.h>

#include "user/lib/check.h"

static sigjmp_buf env;
static void* addr;
static int code;

static void on_segv(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  addr = si->si_addr;
  code = si->si_code;
  siglongjmp(env, sig);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  volatile int* null = NULL;
  if (sigsetjmp(env, 1) == 0) {
    *null = 1;
    CHECK(!"NULL store did not fault");
  }
  CHECK(addr == NULL);
  CHECK_EQ(code, SEGV_MAPERR);
  // The handler's siglongjmp restored the mask: a second fault is caught too.
  volatile char* unmapped = (volatile char*)0x10000;
  if (sigsetjmp(env, 1) == 0) {
    (void)*unmapped;
    CHECK(!"load from an unmapped page did not fault");
  }
  CHECK(addr == (void*)0x10000);
  // A kernel address: the fault is reported (si_addr is 0 or the address on Linux).
  volatile char* kernel = (volatile char*)(uintptr_t)0xffffffff81000000ull;
  int caught = 0;
  if (sigsetjmp(env, 1) == 0) {
    (void)*kernel;
  } else {
    caught = 1;
  }
  CHECK(caught);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    *null = 2;
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  return 0;
}
