// sigaltstack: a handler with SA_ONSTACK runs on the alternate stack;
// SS_ONSTACK is reported inside it (and EPERM for a change there); the
// frame's uc_stack holds the stack as set, and rt_sigreturn puts back what
// it holds; SS_AUTODISARM disarms the stack while a handler runs;
// SS_ONSTACK is accepted as a mode; bad sizes give ENOMEM, bad flags EINVAL.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "user/lib/check.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static char alt[65536];
static char alt2[65536];
static volatile uintptr_t handler_sp;
static volatile int flags_inside;
static volatile int change_inside;  // sigaltstack() inside the handler
static volatile int uc_flags;       // the frame's uc_stack.ss_flags
static volatile int disable_on_return;

static void handler(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  (void)si;
  ucontext_t* uc = ucv;
  int local;
  handler_sp = (uintptr_t)&local;
  stack_t cur;
  sigaltstack(NULL, &cur);
  flags_inside = cur.ss_flags;
  stack_t other = {.ss_sp = alt2, .ss_size = sizeof alt2, .ss_flags = 0};
  change_inside = sigaltstack(&other, NULL) == 0 ? 0 : errno;
  uc_flags = uc->uc_stack.ss_flags;
  // What the frame says is what rt_sigreturn installs.
  if (disable_on_return) uc->uc_stack.ss_flags = SS_DISABLE;
}

static void on_usr1(int flags) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = flags | SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
}

static int on(const char* stack, size_t size) {
  return handler_sp >= (uintptr_t)stack && handler_sp < (uintptr_t)stack + size;
}

int main(void) {
  stack_t cur;
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK_EQ(cur.ss_flags, SS_DISABLE);
  on_usr1(SA_ONSTACK);

  // The plain case.
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(raise(SIGUSR1));
  CHECK(on(alt, sizeof alt));
  CHECK_EQ(flags_inside, SS_ONSTACK);
  CHECK_EQ(change_inside, EPERM);
  CHECK_EQ(uc_flags, 0);  // as set, not "on stack"
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK(cur.ss_sp == alt && cur.ss_size == sizeof alt && cur.ss_flags == 0);

  // rt_sigreturn installs the frame's uc_stack (from a handler on the
  // ordinary stack: Linux 6.1 also does from one on the alternate stack,
  // newer ones, 6.18 seen, do not).
  on_usr1(0);
  disable_on_return = 1;
  CHECK_OK(raise(SIGUSR1));
  disable_on_return = 0;
  CHECK(!on(alt, sizeof alt));
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK_EQ(cur.ss_flags, SS_DISABLE);
  CHECK_EQ(cur.ss_size, 0);
  on_usr1(SA_ONSTACK);

  // SS_ONSTACK is a mode like 0; it is kept as given.
  ss.ss_flags = SS_ONSTACK;
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK_EQ(cur.ss_flags, 0);
  CHECK_OK(raise(SIGUSR1));
  CHECK(on(alt, sizeof alt));
  CHECK_EQ(uc_flags, SS_ONSTACK);

  // SS_AUTODISARM: in the handler there is no alternate stack (so it may
  // be changed), and after it the old one is back.
  ss.ss_flags = SS_ONSTACK | SS_AUTODISARM;
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK_EQ((unsigned)cur.ss_flags, SS_AUTODISARM);
  CHECK_OK(raise(SIGUSR1));
  CHECK(on(alt, sizeof alt));
  CHECK_EQ(flags_inside, SS_DISABLE);
  CHECK_EQ(change_inside, 0);
  CHECK_EQ((unsigned)uc_flags, SS_ONSTACK | SS_AUTODISARM);
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK(cur.ss_sp == alt && cur.ss_size == sizeof alt);
  CHECK_EQ((unsigned)cur.ss_flags, SS_AUTODISARM);

  // Errors.
  stack_t tiny = {.ss_sp = alt, .ss_size = 64, .ss_flags = 0};
  CHECK_ERR(sigaltstack(&tiny, NULL), ENOMEM);
  stack_t bad = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 4};
  CHECK_ERR(sigaltstack(&bad, NULL), EINVAL);
  bad.ss_flags = SS_ONSTACK | SS_DISABLE;
  CHECK_ERR(sigaltstack(&bad, &cur), EINVAL);
  CHECK_ERR(sigaltstack((stack_t*)8, NULL), EFAULT);
  stack_t off = {.ss_flags = SS_DISABLE};
  CHECK_OK(sigaltstack(&off, NULL));
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK(cur.ss_flags & SS_DISABLE);
  return 0;
}
