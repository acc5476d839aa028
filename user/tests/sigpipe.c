// Writing to a pipe with no reader: SIGPIPE kills by default; with SIGPIPE
// ignored the write fails with EPIPE.
#include <signal.h>

#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_OK(close(p[0]));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    write(p[1], "x", 1);
    _exit(0);  // not reached
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status));
  CHECK_EQ(WTERMSIG(status), SIGPIPE);
  signal(SIGPIPE, SIG_IGN);
  CHECK_ERR(write(p[1], "x", 1), EPIPE);
  // A blocked SIGPIPE is left pending, and the write still fails with EPIPE.
  signal(SIGPIPE, SIG_DFL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGPIPE);
  CHECK_OK(sigprocmask(SIG_BLOCK, &m, NULL));
  CHECK_ERR(write(p[1], "x", 1), EPIPE);
  sigset_t pending;
  CHECK_OK(sigpending(&pending));
  CHECK(sigismember(&pending, SIGPIPE));
  signal(SIGPIPE, SIG_IGN);  // discard it before unblocking
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &m, NULL));
  return 0;
}
