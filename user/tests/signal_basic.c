// sigaction handlers, SA_SIGINFO fields, raise/kill self, SA_RESETHAND,
// old action readback, invalid signals.
#include <signal.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

static volatile sig_atomic_t hits, last_sig, last_pid, last_code;

static void handler(int sig) {
  ++hits;
  last_sig = sig;
}

static void info_handler(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  ++hits;
  last_sig = sig;
  last_pid = si->si_pid;
  last_code = si->si_code;
}

int main(void) {
  // With no interrupted call to resume, restart_syscall is EINTR.
  CHECK_ERR(syscall(SYS_restart_syscall), EINTR);
  struct sigaction sa = {0}, old;
  sa.sa_handler = handler;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(raise(SIGUSR1));
  CHECK_EQ(hits, 1);
  CHECK_EQ(last_sig, SIGUSR1);
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(hits, 2);
  CHECK_OK(sigaction(SIGUSR1, NULL, &old));
  CHECK(old.sa_handler == handler);

  sa.sa_handler = NULL;
  sa.sa_sigaction = info_handler;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR2));
  CHECK_EQ(hits, 3);
  CHECK_EQ(last_sig, SIGUSR2);
  CHECK_EQ(last_pid, getpid());
  CHECK_EQ(last_code, SI_USER);

  // SA_RESETHAND: the second delivery uses the default (ignored for SIGCHLD... use SIGURG).
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESETHAND;
  CHECK_OK(sigaction(SIGURG, &sa, NULL));
  CHECK_OK(raise(SIGURG));
  CHECK_EQ(hits, 4);
  CHECK_OK(raise(SIGURG));  // default action of SIGURG: ignore
  CHECK_EQ(hits, 4);
  CHECK_OK(sigaction(SIGURG, NULL, &old));
  CHECK(old.sa_handler == SIG_DFL);

  // SIG_IGN.
  signal(SIGUSR1, SIG_IGN);
  CHECK_OK(raise(SIGUSR1));
  CHECK_EQ(hits, 4);

  CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
  CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
  CHECK_ERR(sigaction(0, &sa, NULL), EINVAL);
  CHECK_ERR(sigaction(65, &sa, NULL), EINVAL);
  CHECK_ERR(kill(getpid(), 65), EINVAL);
  CHECK_OK(kill(getpid(), 0));  // permission/existence probe
  return 0;
}
