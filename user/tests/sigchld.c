// SIGCHLD reaches the parent when a child exits, with si_pid and si_status;
// ignoring SIGCHLD (SIG_IGN) reaps children automatically (wait gives ECHILD).
#include <signal.h>

#include <sys/wait.h>

#include "user/lib/check.h"

static volatile sig_atomic_t got, got_pid, got_status, got_code;

static void on_chld(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  (void)ctx;
  ++got;
  got_pid = si->si_pid;
  got_status = si->si_status;
  got_code = si->si_code;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  CHECK_OK(sigprocmask(SIG_BLOCK, &mask, &old));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) _exit(12);
  while (got == 0) sigsuspend(&old);
  CHECK_EQ(got_pid, pid);
  CHECK_EQ(got_status, 12);
  CHECK_EQ(got_code, CLD_EXITED);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));

  signal(SIGCHLD, SIG_IGN);
  pid = CHECK_OK(fork());
  if (pid == 0) _exit(0);
  CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
  return 0;
}
