// vfork: the parent is suspended until the child execs or exits.
#include <sys/wait.h>

#include "user/lib/check.h"

int main(int argc, char** argv) {
  if (argc > 1) return atoi(argv[1]);  // re-exec'd child
  pid_t pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) _exit(5);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
  pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char* args[] = {argv[0], "6", NULL};
    execv(argv[0], args);
    _exit(99);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 6);
  return 0;
}
