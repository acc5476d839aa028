// Pid numbering in a new pid namespace, as Linux does it: the first process
// made there is its pid 1 and the next ones count on from 2; every pid a
// call takes or returns (getpid, getppid, gettid, fork, wait, kill, tgkill,
// getpgid, getsid, pidfd_open, SIGCHLD's si_pid, /proc) is the caller's
// namespace's number, and a process outside that namespace has none (0).
// clone3's set_tid chooses the numbers, with Linux's errors. The init takes
// only signals it has handlers for, but SIGKILL from an outer namespace.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static pid_t sys_clone3(struct clone_args* args) {
  return (pid_t)syscall(SYS_clone3, args, sizeof *args);
}

static volatile sig_atomic_t chld_pid;
static void on_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  chld_pid = si->si_pid;
}

// The value of `key` in /proc/<pid>/status (the whole line after the tab).
static void status_line(pid_t pid, const char* key, char* out, size_t n) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  int fd = CHECK_OK(open(path, O_RDONLY));
  ssize_t len = CHECK_OK(read(fd, buf, sizeof buf - 1));
  close(fd);
  buf[len] = 0;
  size_t klen = strlen(key);
  for (char* line = buf; line != NULL && *line != 0;) {
    char* end = strchr(line, '\n');
    if (end != NULL) *end = 0;
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      snprintf(out, n, "%s", line + klen + 1);
      return;
    }
    line = end == NULL ? NULL : end + 1;
  }
  fprintf(stderr, "no %s in %s\n", key, path);
  exit(1);
}

// The init of a new namespace, seen from inside.
static int inside_init(int to_parent) {
  CHECK_EQ(getpid(), 1);
  CHECK_EQ(gettid(), 1);
  CHECK_EQ(getppid(), 0);  // the parent is outside
  // Its group and session are the parent's, which this namespace cannot see.
  CHECK_EQ(getpgrp(), 0);
  CHECK_EQ(getsid(0), 0);
  CHECK_EQ(getpgid(1), 0);
  CHECK_OK(setsid());
  CHECK_EQ(getsid(0), 1);
  CHECK_EQ(getpgid(0), 1);
  CHECK_EQ(getpgrp(), 1);

  // Children count on from 2 and see their parent as 1; wait and SIGCHLD
  // report them by those numbers.
  struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
  CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
  int ready[2];
  CHECK_OK(pipe(ready));
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    if (getpid() != 2 || getppid() != 1 || getsid(0) != 1) _exit(3);
    // kill and tgkill name processes and threads by these numbers too.
    if (syscall(SYS_tgkill, 2, 2, 0) != 0 || kill(1, 0) != 0) _exit(4);
    if (syscall(SYS_tgkill, 1, 2, 0) != -1 || errno != ESRCH) _exit(5);
    // The init takes from inside only what it has handlers for: these are
    // dropped (and kill still succeeds).
    if (kill(1, SIGTERM) != 0 || kill(1, SIGKILL) != 0) _exit(9);
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(6);
  }
  CHECK_EQ(c, 2);
  char x;
  CHECK_EQ(read(ready[0], &x, 1), 1);
  CHECK_EQ(getpgid(c), 1);
  CHECK_EQ(getsid(c), 1);
  CHECK_OK(kill(c, SIGTERM));
  int status = 0;
  CHECK_EQ(waitpid(c, &status, 0), 2);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  CHECK_EQ(chld_pid, 2);
  // A number nothing has here: ESRCH, ECHILD.
  CHECK_ERR(kill(4242, 0), ESRCH);
  CHECK_ERR(waitpid(4242, NULL, WNOHANG), ECHILD);
  CHECK_ERR(getpgid(4242), ESRCH);
  // The next one is 3 (numbers are not reused at once).
  c = CHECK_OK(fork());
  if (c == 0) _exit(getpid() == 3 ? 0 : 7);
  CHECK_EQ(wait_exit_status(c), 0);
  CHECK_EQ(c, 3);
  // The pidfd of our own init-ness: pid 1.
  int pfd = CHECK_OK(syscall(SYS_pidfd_open, 1, 0));
  close(pfd);

  // A proc mounted here (in a mount namespace of our own) shows this
  // namespace's numbers: /proc/self is 1, and a status's NSpid has one
  // level.
  CHECK_OK(unshare(CLONE_NEWNS));
  CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
  CHECK_OK(mount("proc", "/proc", "proc", 0, NULL));
  char link[32] = {0};
  CHECK_EQ(readlink("/proc/self", link, sizeof link - 1), 1);
  CHECK_EQ(strcmp(link, "1"), 0);
  char line[128];
  status_line(1, "NSpid", line, sizeof line);
  CHECK_EQ(strcmp(line, "\t1"), 0);
  status_line(1, "PPid", line, sizeof line);
  CHECK_EQ(strcmp(line, "\t0"), 0);
  CHECK_ERR(access("/proc/4242/status", F_OK), ENOENT);

  // clone3's set_tid in this namespace: a free number is taken, a taken
  // one is EEXIST, more entries than levels is EINVAL.
  pid_t tids[3] = {17, 0, 0};
  struct clone_args ca = {.exit_signal = SIGCHLD, .set_tid = (uintptr_t)tids, .set_tid_size = 1};
  c = CHECK_OK(sys_clone3(&ca));
  if (c == 0) _exit(getpid() == 17 ? 0 : 8);
  CHECK_EQ(c, 17);
  CHECK_EQ(wait_exit_status(c), 0);
  tids[0] = 1;
  CHECK_ERR(sys_clone3(&ca), EEXIST);
  tids[0] = 18;
  ca.set_tid_size = 3;
  CHECK_ERR(sys_clone3(&ca), EINVAL);
  tids[0] = 0;
  ca.set_tid_size = 1;
  CHECK_ERR(sys_clone3(&ca), EINVAL);  // 0 is not a pid

  // Tell the parent which number it sees us by ... it knows; report ok.
  (void)!write(to_parent, "k", 1);
  return 0;
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("pid namespaces need CAP_SYS_ADMIN");
    return 0;
  }
  CHECK_ERR(kill(INT_MIN, 0), ESRCH);  // -INT_MIN is no group
  // Outside any new namespace set_tid still checks: one entry is the only
  // level there is; a taken pid is EEXIST.
  pid_t tids[2] = {getpid(), 0};
  struct clone_args ca = {.exit_signal = SIGCHLD, .set_tid = (uintptr_t)tids, .set_tid_size = 1};
  CHECK_ERR(sys_clone3(&ca), EEXIST);
  ca.set_tid_size = 2;
  tids[1] = 1;
  CHECK_ERR(sys_clone3(&ca), EINVAL);

  // A new namespace without its init yet accepts only set_tid 1 there.
  ca.flags = CLONE_NEWPID;
  tids[0] = 5;
  tids[1] = 0;
  ca.set_tid_size = 1;
  CHECK_ERR(sys_clone3(&ca), EINVAL);

  int report[2];
  CHECK_OK(pipe(report));
  pid_t init = CHECK_OK(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0));
  if (init == 0) _exit(inside_init(report[1]));
  CHECK(init > 1);
  CHECK_OK(close(report[1]));
  // From outside, the init has both numbers: ours and 1 (NSpid lists the
  // reader's first). It may have finished already: a zombie shows them too.
  char want[64], line[128];
  snprintf(want, sizeof want, "\t%d\t1", init);
  status_line(init, "NSpid", line, sizeof line);
  CHECK_EQ(strcmp(line, want), 0);
  status_line(init, "NStgid", line, sizeof line);
  CHECK_EQ(strcmp(line, want), 0);
  char k;
  CHECK_EQ(read(report[0], &k, 1), 1);
  CHECK_EQ(wait_exit_status(init), 0);

  // set_tid for both levels at once: 1 in the new namespace, a free number
  // of our choice here.
  pid_t mine = 0;
  for (pid_t want_pid = 31000; want_pid < 31100 && mine == 0; ++want_pid) {
    if (kill(want_pid, 0) == -1 && errno == ESRCH) mine = want_pid;
  }
  CHECK(mine != 0);
  pid_t both[2] = {1, mine};
  struct clone_args cb = {
      .flags = CLONE_NEWPID, .exit_signal = SIGCHLD, .set_tid = (uintptr_t)both, .set_tid_size = 2};
  pid_t c = CHECK_OK(sys_clone3(&cb));
  if (c == 0) _exit(getpid() == 1 ? 0 : 9);
  CHECK_EQ(c, mine);
  CHECK_EQ(wait_exit_status(c), 0);
  // From outside, SIGKILL reaches a namespace's init (SIGTERM with the
  // default action still does not).
  pid_t sleeper = CHECK_OK(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0));
  if (sleeper == 0) {
    for (;;) pause();
  }
  CHECK_OK(kill(sleeper, SIGTERM));
  usleep(50000);
  CHECK_EQ(waitpid(sleeper, NULL, WNOHANG), 0);
  CHECK_OK(kill(sleeper, SIGKILL));
  int st = 0;
  CHECK_EQ(waitpid(sleeper, &st, 0), sleeper);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  puts("pid_ns_numbers: ok");
  return 0;
}
