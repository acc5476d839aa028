// Signals sent to init (pid 1). Linux delivers to init only the signals it
// has installed a handler for (SIGNAL_UNKILLABLE): kill(1, SIGKILL),
// SIGTERM, SIGSTOP, a real-time signal, even a "fault" signal sent with
// kill, all succeed and do nothing. Keel used to let them kill init (found by
// the syscall fuzzer, user/fuzz/sysfuzz.c: a program's kill(1, 55) ended the
// run).
//
// Only in a VM (Keel, or the oracle: KEEL_TEST_VM), where pid 1 is the test
// runner (or oracle_init), none of which installs a handler; never on the
// build host, whose pid 1 is its real init.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// The State: line of /proc/1/status ("S (sleeping)" and so on).
static char InitState(void) {
  FILE* f = fopen("/proc/1/status", "r");
  CHECK(f != NULL);
  char line[256];
  char state = '?';
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "State:", 6) == 0) {
      const char* p = line + 6;
      while (*p == ' ' || *p == '\t') p++;
      state = *p;
    }
  }
  fclose(f);
  return state;
}

int main(void) {
  if (!on_keel() && getenv("KEEL_TEST_VM") == NULL) {
    TEST_SKIP("pid 1 is the build host's own init");
    return 0;
  }
  CHECK(getpid() != 1);
  CHECK_OK(kill(1, 0));
  const int sigs[] = {SIGUSR2, SIGTERM, SIGINT,        SIGHUP,  SIGQUIT, SIGSEGV,
                      SIGPIPE, SIGALRM, SIGRTMIN + 21, SIGSTOP, SIGKILL};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    CHECK_OK(kill(1, sigs[i]));
  }
  union sigval v = {.sival_int = 7};
  CHECK_OK(sigqueue(1, SIGUSR1, v));
  CHECK_OK(syscall(SYS_tgkill, 1, 1, SIGTERM));
  CHECK_OK(syscall(SYS_tkill, 1, SIGKILL));
  usleep(100000);
  // Still there, and neither stopped nor a zombie.
  CHECK_OK(kill(1, 0));
  char state = InitState();
  CHECK(state != 'T' && state != 'Z' && state != 'X');
  // A pid that does not exist still gives ESRCH.
  CHECK_ERR(kill(0x3fffffff, 0), ESRCH);
  return 0;
}
