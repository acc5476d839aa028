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
    // Running the copy now: say so on fd 3, then wait to be killed.
    CHECK_EQ(write(3, "r", 1), 1);
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
  int ready[2];
  CHECK_OK(pipe(ready));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (dup2(ready[1], 3) != 3) _exit(126);
    execl("./prog", "prog", "child", (char*)NULL);
    _exit(127);
  }
  CHECK_OK(close(ready[1]));
  // Once the child runs the copy (it says so), writers are refused.
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  CHECK_OK(close(ready[0]));
  CHECK_ERR(open("prog", O_WRONLY), ETXTBSY);
  int fd = -1;
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
