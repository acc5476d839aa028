// Blocked signals stay pending until unblocked; sigpending, sigsuspend,
// SIGKILL cannot be blocked, realtime signals queue.
#include <signal.h>

#include "user/lib/check.h"

static volatile sig_atomic_t usr1, rt;
static void on_usr1(int sig) {
  (void)sig;
  ++usr1;
}
static void on_rt(int sig) {
  (void)sig;
  ++rt;
}

int main(void) {
  signal(SIGUSR1, on_usr1);
  signal(SIGRTMIN, on_rt);
  sigset_t block, old, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGRTMIN);
  sigaddset(&block, SIGKILL);  // silently ignored
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, &old));
  CHECK(!sigismember(&old, SIGUSR1));
  CHECK_OK(raise(SIGUSR1));
  CHECK_OK(raise(SIGUSR1));  // standard signals do not queue
  CHECK_OK(raise(SIGRTMIN));
  CHECK_OK(raise(SIGRTMIN));  // realtime signals do
  CHECK_OK(raise(SIGRTMIN));
  CHECK_EQ(usr1, 0);
  CHECK_OK(sigpending(&pending));
  CHECK(sigismember(&pending, SIGUSR1));
  CHECK(sigismember(&pending, SIGRTMIN));
  sigset_t now;
  CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &now));
  CHECK(!sigismember(&now, SIGKILL));
  CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
  CHECK_EQ(usr1, 1);
  CHECK_EQ(rt, 3);
  CHECK_OK(sigpending(&pending));
  CHECK(!sigismember(&pending, SIGUSR1));
  CHECK_ERR(sigprocmask(99, &block, NULL), EINVAL);

  // sigsuspend: block SIGUSR1, have a child send it, wait for it atomically.
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  pid_t parent = getpid();
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    kill(parent, SIGUSR1);
    _exit(0);
  }
  sigset_t wait_mask;
  sigemptyset(&wait_mask);
  CHECK_ERR(sigsuspend(&wait_mask), EINTR);
  CHECK_EQ(usr1, 2);
  return 0;
}
