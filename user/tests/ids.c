// getpid/getppid/gettid: a child's parent is us; tid == pid in the main thread.
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  pid_t me = getpid();
  CHECK(me > 0);
  CHECK_EQ(syscall(SYS_gettid), me);
  CHECK(getppid() > 0 && getppid() != me);
  int p[2];
  CHECK_OK(pipe(p));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    pid_t info[2] = {getpid(), getppid()};
    write(p[1], info, sizeof info);
    _exit(0);
  }
  pid_t info[2];
  CHECK_EQ(read(p[0], info, sizeof info), sizeof info);
  CHECK_EQ(info[0], pid);
  CHECK_EQ(info[1], me);
  CHECK(pid != me);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  return 0;
}
