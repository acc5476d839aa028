// Exit statuses seen by the parent: exit(), _exit(), return from main,
// values truncated to 8 bits, atexit handlers run by exit() only.
#include <sys/wait.h>

#include "user/lib/check.h"

static void handler(void) { write(1, "exit_status: atexit ran\n", 24); }

static int run(int how, int value) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    atexit(handler);
    if (how == 0) exit(value);
    if (how == 1) _exit(value);
    return value;  // never reached for how 0/1; how 2 returns from this child
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  return WEXITSTATUS(status);
}

int main(void) {
  CHECK_EQ(run(0, 0), 0);
  CHECK_EQ(run(0, 42), 42);
  CHECK_EQ(run(1, 7), 7);
  CHECK_EQ(run(1, 256 + 3), 3);
  CHECK_EQ(run(0, 255), 255);
  return 0;
}
