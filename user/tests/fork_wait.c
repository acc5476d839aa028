// fork + wait4: statuses, rusage, WNOHANG, ECHILD, waiting by pid and for any.
#include <signal.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  int x = 10;
  pid_t a = CHECK_OK(fork());
  if (a == 0) {
    x = 20;  // private copy
    _exit(3);
  }
  pid_t b = CHECK_OK(fork());
  if (b == 0) {
    pause();
    _exit(0);
  }
  int status;
  struct rusage ru;
  CHECK_EQ(wait4(a, &status, 0, &ru), a);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  CHECK_EQ(x, 10);
  CHECK_EQ(waitpid(b, &status, WNOHANG), 0);  // still running
  CHECK_OK(kill(b, SIGKILL));
  CHECK_EQ(wait(&status), b);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK_ERR(wait(&status), ECHILD);
  CHECK_ERR(waitpid(a, &status, 0), ECHILD);  // already reaped
  // Many children, reaped in any order.
  for (int i = 0; i < 20; ++i) {
    pid_t c = CHECK_OK(fork());
    if (c == 0) _exit(i);
  }
  int seen = 0;
  for (int i = 0; i < 20; ++i) {
    CHECK(wait(&status) > 0);
    CHECK(WIFEXITED(status));
    seen |= 1 << WEXITSTATUS(status);
  }
  CHECK_EQ(seen, (1 << 20) - 1);
  // waitid with WEXITED.
  pid_t c = CHECK_OK(fork());
  if (c == 0) _exit(9);
  siginfo_t si = {0};
  CHECK_OK(waitid(P_PID, c, &si, WEXITED));
  CHECK_EQ(si.si_pid, c);
  CHECK_EQ(si.si_code, CLD_EXITED);
  CHECK_EQ(si.si_status, 9);
  CHECK_ERR(waitpid(-1, &status, 0x00100000), EINVAL);  // unknown option
  return 0;
}
