// Sessions and process groups: setsid in a child makes it leader of a new
// session and group; setpgid/getpgid/getsid; setsid by a group leader: EPERM.
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  CHECK(getsid(0) > 0);
  CHECK_EQ(getpgid(0), getpgrp());
  CHECK_ERR(getpgid(999999), ESRCH);
  int p[2];
  CHECK_OK(pipe(p));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    pid_t sid = setsid();
    pid_t got[3] = {sid, getsid(0), getpgid(0)};
    write(p[1], got, sizeof got);
    int err = setsid() == -1 ? errno : 0;  // now a group leader
    write(p[1], &err, sizeof err);
    // setpgid within the new session: a child into its own group.
    pid_t c = fork();
    if (c == 0) {
      pause();
      _exit(0);
    }
    int ok = setpgid(c, c) == 0 && getpgid(c) == c;
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    write(p[1], &ok, sizeof ok);
    _exit(0);
  }
  pid_t got[3];
  CHECK_EQ(read(p[0], got, sizeof got), sizeof got);
  CHECK_EQ(got[0], pid);
  CHECK_EQ(got[1], pid);
  CHECK_EQ(got[2], pid);
  int err;
  CHECK_EQ(read(p[0], &err, sizeof err), sizeof err);
  CHECK_EQ(err, EPERM);
  int ok;
  CHECK_EQ(read(p[0], &ok, sizeof ok), sizeof ok);
  CHECK(ok);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK_EQ(getsid(pid), -1);  // reaped: ESRCH
  // setpgid on ourselves to our own group is allowed (unless session leader).
  if (getsid(0) != getpid()) CHECK_OK(setpgid(0, 0));
  CHECK_ERR(setpgid(0, -1), EINVAL);
  return 0;
}
