// kill: terminate a child (SIGTERM), stop/continue it (SIGSTOP/SIGCONT with
// WUNTRACED/WCONTINUED), ESRCH for a pid that does not exist.
#include <signal.h>

#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    for (;;) pause();
  }
  int status;
  CHECK_OK(kill(pid, SIGSTOP));
  CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
  CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
  CHECK_OK(kill(pid, SIGCONT));
  CHECK_EQ(waitpid(pid, &status, WCONTINUED), pid);
  CHECK(WIFCONTINUED(status));
  CHECK_OK(kill(pid, SIGTERM));
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  CHECK_ERR(kill(pid, 0), ESRCH);  // reaped
  CHECK_ERR(kill(999999, SIGTERM), ESRCH);
  // A handled SIGTERM does not kill.
  pid = CHECK_OK(fork());
  if (pid == 0) {
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    _exit(4);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
  return 0;
}
