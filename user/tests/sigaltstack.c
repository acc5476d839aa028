// sigaltstack: a handler with SA_ONSTACK runs on the alternate stack;
// SS_ONSTACK is reported inside it; bad sizes give ENOMEM.
#include <signal.h>
#include <stdint.h>

#include "user/lib/check.h"

static char alt[65536];
static volatile uintptr_t handler_sp;
static volatile int flags_inside;

static void handler(int sig) {
  (void)sig;
  int local;
  handler_sp = (uintptr_t)&local;
  stack_t cur;
  sigaltstack(NULL, &cur);
  flags_inside = cur.ss_flags;
}

int main(void) {
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  CHECK_OK(sigaltstack(&ss, NULL));
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = SA_ONSTACK;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(raise(SIGUSR1));
  CHECK(handler_sp >= (uintptr_t)alt && handler_sp < (uintptr_t)alt + sizeof alt);
  CHECK(flags_inside & SS_ONSTACK);
  stack_t cur;
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK(cur.ss_sp == alt && cur.ss_size == sizeof alt && cur.ss_flags == 0);
  stack_t tiny = {.ss_sp = alt, .ss_size = 64, .ss_flags = 0};
  CHECK_ERR(sigaltstack(&tiny, NULL), ENOMEM);
  stack_t off = {.ss_flags = SS_DISABLE};
  CHECK_OK(sigaltstack(&off, NULL));
  CHECK_OK(sigaltstack(NULL, &cur));
  CHECK(cur.ss_flags & SS_DISABLE);
  return 0;
}
