// A file that a running program was executed from cannot be opened for
// writing or truncated (ETXTBSY); reading it is fine, and once the program
// is gone writing works again.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <sys/sendfile.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    for (;;) pause();
  }
  enter_tmpdir();
  // A copy of this program to run.
  int self = CHECK_OK(open("/proc/self/exe", O_RDONLY));
  struct stat st;
  CHECK_OK(fstat(self, &st));
  int copy = CHECK_OK(open("prog", O_WRONLY | O_CREAT, 0755));
  CHECK_EQ(sendfile(copy, self, NULL, st.st_size), st.st_size);
  CHECK_OK(close(copy));
  CHECK_OK(close(self));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    execl("./prog", "prog", "child", (char*)NULL);
    _exit(127);
  }
  // Wait until the child runs the copy: then writers are refused.
  int fd = -1;
  for (int i = 0; i < 2000; ++i) {
    fd = open("prog", O_WRONLY);
    if (fd < 0) break;
    CHECK_OK(close(fd));
    struct timespec d = {0, 5 * 1000 * 1000};
    nanosleep(&d, NULL);
  }
  CHECK_EQ(fd, -1);
  CHECK_EQ(errno, ETXTBSY);
  CHECK_ERR(open("prog", O_RDWR), ETXTBSY);
  CHECK_ERR(open("prog", O_RDONLY | O_TRUNC), ETXTBSY);
  CHECK_ERR(truncate("prog", 0), ETXTBSY);
  int ro = CHECK_OK(open("prog", O_RDONLY));
  CHECK_OK(close(ro));
  CHECK_OK(kill(pid, SIGKILL));
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFSIGNALED(status));
  // The program is gone: writing works again.
  fd = CHECK_OK(open("prog", O_WRONLY | O_TRUNC));
  CHECK_OK(close(fd));
  CHECK_OK(unlink("prog"));
  return 0;
}
