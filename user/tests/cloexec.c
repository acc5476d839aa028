// O_CLOEXEC/FD_CLOEXEC descriptors are closed by execve, others survive it.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/wait.h>

#include "user/lib/check.h"

int main(int argc, char** argv) {
  if (argc == 4) {  // after exec: argv[2] must be open, argv[3] closed
    int keep = atoi(argv[2]), gone = atoi(argv[3]);
    CHECK_OK(fcntl(keep, F_GETFD));
    CHECK_ERR(fcntl(gone, F_GETFD), EBADF);
    char c;
    CHECK_EQ(pread(keep, &c, 1, 0), 1);
    CHECK_EQ(c, 'k');
    return 0;
  }
  enter_tmpdir();
  write_file("f", "k");
  int keep = CHECK_OK(open("f", O_RDONLY));
  int gone = CHECK_OK(open("f", O_RDONLY | O_CLOEXEC));
  int gone2 = CHECK_OK(dup(keep));
  CHECK_OK(fcntl(gone2, F_SETFD, FD_CLOEXEC));
  int p[2];
  CHECK_OK(pipe2(p, O_CLOEXEC));
  CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
  char a[16], b[16];
  snprintf(a, sizeof a, "%d", keep);
  for (int which = 0; which < 3; ++which) {
    snprintf(b, sizeof b, "%d", which == 0 ? gone : which == 1 ? gone2 : p[1]);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
      char* args[] = {argv[0], "child", a, b, NULL};
      execv(argv[0], args);
      _exit(127);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return 0;
}
