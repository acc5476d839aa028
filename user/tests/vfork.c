// vfork: the child runs in the parent's memory (what it writes before _exit or
// execve, the parent sees; after fork it would not), and the parent is
// suspended until the child exits or execs (so the child's late write is
// already there when vfork returns in the parent), but no longer than that:
// a child that has exec'd waits for the parent.
#include <poll.h>
#include <time.h>

#include <sys/wait.h>

#include "user/lib/check.h"

static volatile int global_mark;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The re-exec'd child: `vfork 6` exits 6; `vfork wait FD` exits 6 once the
// parent writes a byte to FD, 98 if that takes over 20 s (the parent is still
// suspended although we exec'd).
static int exec_child(char** argv) {
  if (strcmp(argv[1], "wait") != 0) return atoi(argv[1]);
  struct pollfd p = {.fd = atoi(argv[2]), .events = POLLIN};
  if (poll(&p, 1, 20000) != 1) return 98;
  char c;
  return read(p.fd, &c, 1) == 1 && c == 'g' ? 6 : 97;
}

int main(int argc, char** argv) {
  if (argc > 1) return exec_child(argv);

  // Shared memory and suspension until _exit: the child sleeps 200 ms, then
  // writes to the parent's stack and to a global. After fork, the parent would
  // read 0 (its own copies); with a shared address space but no suspension, 0
  // too (the child still sleeps).
  volatile int stack_mark = 0;
  global_mark = 0;
  pid_t parent = getpid();
  long t0 = now_ms();
  pid_t pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    struct timespec d = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
    nanosleep(&d, NULL);
    stack_mark = getpid() == parent ? -1 : 42;  // a new process all the same
    global_mark = 43;
    _exit(5);
  }
  long waited = now_ms() - t0;
  CHECK_EQ(stack_mark, 42);
  CHECK_EQ(global_mark, 43);
  CHECK(waited >= 150);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);

  // execve ends the suspension too; what the child wrote before it stays.
  stack_mark = 0;
  pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    stack_mark = 7;
    char* args[] = {argv[0], "6", NULL};
    execv(argv[0], args);
    _exit(99);
  }
  CHECK_EQ(stack_mark, 7);
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 6);

  // ... and before the exec'd program exits: it waits for a byte from us.
  int p[2];
  CHECK_OK(pipe(p));
  char fd_arg[16];
  snprintf(fd_arg, sizeof fd_arg, "%d", p[0]);
  pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char* args[] = {argv[0], "wait", fd_arg, NULL};
    execv(argv[0], args);
    _exit(99);
  }
  CHECK_EQ(write(p[1], "g", 1), 1);
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 6);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));

  // A vfork child that execs a missing program stays in the parent's memory
  // until its _exit.
  stack_mark = 0;
  pid = vfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char* args[] = {"/nonexistent/vfork", NULL};
    execv(args[0], args);
    stack_mark = errno == ENOENT ? 8 : -2;
    _exit(0);
  }
  CHECK_EQ(stack_mark, 8);
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}
