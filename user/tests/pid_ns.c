// Pid namespaces and their init: the first process made in a new namespace
// adopts the orphans there; when it exits, the others in the namespace are
// killed and a fork into the namespace is ENOMEM; clone(CLONE_NEWPID) and
// unshare(CLONE_NEWPID) need CAP_SYS_ADMIN. (pid_ns_numbers.c checks the
// numbering.)
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>

#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// In a new namespace: its init (our first child) leaves a grandchild
// behind and exits; the grandchild is killed, and forking is ENOMEM.
static int init_exit_kills_namespace(void) {
  CHECK_OK(unshare(CLONE_NEWPID));
  int alive[2];
  CHECK_OK(pipe(alive));
  pid_t init = CHECK_OK(fork());
  if (init == 0) {
    pid_t g = fork();
    if (g < 0) _exit(2);
    if (g == 0) {
      close(alive[0]);
      for (;;) pause();  // holds alive[1] until killed
    }
    _exit(0);
  }
  CHECK_OK(close(alive[1]));
  CHECK_EQ(wait_exit_status(init), 0);
  // The grandchild dies with the namespace: the pipe sees its end.
  struct pollfd p = {.fd = alive[0], .events = POLLIN};
  CHECK_EQ(poll(&p, 1, 20000), 1);
  char c;
  CHECK_EQ(read(alive[0], &c, 1), 0);
  CHECK_ERR(fork(), ENOMEM);
  return 0;
}

// An orphan in a namespace goes to the namespace's init.
static int orphans_go_to_init(void) {
  CHECK_OK(unshare(CLONE_NEWPID));
  int report[2];
  CHECK_OK(pipe(report));
  pid_t init = CHECK_OK(fork());
  if (init == 0) {
    pid_t a = fork();
    if (a < 0) _exit(2);
    if (a == 0) {
      pid_t a_pid = getpid();  // as b will see its parent
      pid_t b = fork();
      if (b < 0) _exit(2);
      if (b == 0) {
        // Wait to be orphaned, then say who the parent is now.
        while (getppid() == a_pid) usleep(1000);
        pid_t ppid = getppid();
        (void)!write(report[1], &ppid, sizeof ppid);
        _exit(0);
      }
      _exit(0);  // orphans b
    }
    // Reap a, then b (adopted), then exit.
    int status;
    while (wait(&status) > 0) {
    }
    _exit(0);
  }
  CHECK_OK(close(report[1]));
  pid_t ppid = 0;
  CHECK_EQ(read(report[0], &ppid, sizeof ppid), (long)sizeof ppid);
  CHECK_EQ(ppid, 1);  // the namespace's init, as the orphan sees it
  CHECK_EQ(wait_exit_status(init), 0);
  return 0;
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("pid namespaces need CAP_SYS_ADMIN");
    return 0;
  }
  // Each part in a child of its own, whose namespace for children changes.
  pid_t c = CHECK_OK(fork());
  if (c == 0) _exit(init_exit_kills_namespace());
  CHECK_EQ(wait_exit_status(c), 0);
  c = CHECK_OK(fork());
  if (c == 0) _exit(orphans_go_to_init());
  CHECK_EQ(wait_exit_status(c), 0);
  // Without CAP_SYS_ADMIN: EPERM.
  c = CHECK_OK(fork());
  if (c == 0) {
    if (setuid(65534) != 0) _exit(10);
    if (unshare(CLONE_NEWPID) != -1 || errno != EPERM) _exit(11);
    _exit(0);
  }
  CHECK_EQ(wait_exit_status(c), 0);
  return 0;
}
