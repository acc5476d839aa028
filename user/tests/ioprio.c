// ioprio_set/ioprio_get: IOPRIO_WHO_PROCESS reports the value as set
// (IOPRIO_CLASS_NONE, 0 until one is), a process group or a user the best of
// their effective values (without one set: the class of the scheduling
// policy at the level of the nice value); the value is checked before the
// target (EINVAL, EPERM for the real-time class unprivileged), then ESRCH and
// the owner (EPERM). Inherited by fork. Keel records the priorities; no I/O
// scheduler orders by them.
#define _GNU_SOURCE
#include <sched.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

enum { kWhoProcess = 1, kWhoPgrp = 2, kWhoUser = 3 };
enum { kNone = 0, kRt = 1, kBe = 2, kIdle = 3 };
#define V(cls, data) (((cls) << 13) | (data))

static long get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long set(int which, int who, int ioprio) {
  return syscall(SYS_ioprio_set, which, who, ioprio);
}

static void wait_ok(pid_t pid) {
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

// In a process group of its own, as root.
static void as_root(pid_t gone) {
  CHECK_OK(setpgid(0, 0));
  CHECK_OK(set(kWhoProcess, 0, V(kNone, 0)));
  CHECK_EQ(get(kWhoProcess, 0), V(kNone, 0));  // the raw value: none set
  CHECK_EQ(get(kWhoProcess, getpid()), V(kNone, 0));
  // Effective: best-effort at (nice + 20) / 5.
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 4));
  CHECK_EQ(get(kWhoPgrp, getpgrp()), V(kBe, 4));
  CHECK_OK(setpriority(PRIO_PROCESS, 0, 10));
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 6));
  CHECK_OK(setpriority(PRIO_PROCESS, 0, -20));
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 0));
  CHECK_OK(setpriority(PRIO_PROCESS, 0, 19));
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 7));
  struct sched_param sp = {.sched_priority = 0};
  CHECK_OK(sched_setscheduler(0, SCHED_IDLE, &sp));  // the idle class
  CHECK_EQ(get(kWhoPgrp, 0), V(kIdle, 7));
  CHECK_OK(setpriority(PRIO_PROCESS, 0, 0));
  sp.sched_priority = 1;
  CHECK_OK(sched_setscheduler(0, SCHED_FIFO, &sp));  // the real-time class
  CHECK_EQ(get(kWhoPgrp, 0), V(kRt, 4));
  sp.sched_priority = 0;
  CHECK_OK(sched_setscheduler(0, SCHED_OTHER, &sp));
  CHECK_EQ(get(kWhoProcess, 0), V(kNone, 0));
  // Set values.
  CHECK_OK(set(kWhoProcess, 0, V(kBe, 2)));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 2));
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 2));
  CHECK_OK(set(kWhoProcess, getpid(), V(kRt, 7)));  // root may
  CHECK_EQ(get(kWhoProcess, 0), V(kRt, 7));
  CHECK_OK(set(kWhoProcess, 0, V(kIdle, 5)));
  CHECK_EQ(get(kWhoProcess, 0), V(kIdle, 5));
  CHECK_OK(set(kWhoPgrp, 0, V(kBe, 1)));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 1));
  pid_t pid = fork();  // inherited
  CHECK(pid >= 0);
  if (pid == 0) _exit(get(kWhoProcess, 0) == V(kBe, 1) ? 0 : 1);
  wait_ok(pid);
  // A group's best is the lowest value: the child's class 2 level 0 wins.
  int ready[2];
  CHECK_OK(pipe(ready));
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    if (set(kWhoProcess, 0, V(kBe, 0)) != 0) _exit(1);
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  CHECK_EQ(get(kWhoPgrp, 0), V(kBe, 0));
  CHECK_EQ(get(kWhoProcess, pid), V(kBe, 0));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 1));
  kill(pid, SIGKILL);
  CHECK(waitpid(pid, NULL, 0) == pid);

  // The value first, then which, then the target.
  CHECK_ERR(set(kWhoProcess, gone, V(4, 0)), EINVAL);
  CHECK_ERR(set(kWhoProcess, gone, V(7, 0)), EINVAL);
  CHECK_ERR(set(kWhoProcess, gone, V(kNone, 1)), EINVAL);
  CHECK_ERR(set(kWhoProcess, gone, -1), EINVAL);
  // The level is the data's low three bits (the bits above are I/O priority
  // hints since Linux 6.5, and in Debian's 6.1): any level passes for RT and
  // BE, NONE needs level 0, and the value is kept as it was given, in 16 bits.
  CHECK_ERR(set(kWhoProcess, gone, V(kBe, 8)), ESRCH);
  CHECK_ERR(set(kWhoProcess, gone, V(kRt, 0x1fff)), ESRCH);
  CHECK_ERR(set(kWhoProcess, gone, V(kNone, 8)), ESRCH);
  CHECK_OK(set(kWhoProcess, 0, V(kBe, 8)));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 8));
  CHECK_OK(set(kWhoProcess, 0, V(kIdle, 100)));
  CHECK_EQ(get(kWhoProcess, 0), V(kIdle, 100));
  CHECK_OK(set(kWhoProcess, 0, 0x10000 | V(kBe, 1)));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 1));
  CHECK_ERR(set(0, 0, V(kBe, 0)), EINVAL);
  CHECK_ERR(set(4, 0, V(kBe, 0)), EINVAL);
  CHECK_ERR(get(0, 0), EINVAL);
  CHECK_ERR(get(4, 0), EINVAL);
  CHECK_ERR(get(kWhoProcess, gone), ESRCH);
  CHECK_ERR(get(kWhoProcess, -1), ESRCH);
  CHECK_ERR(set(kWhoProcess, gone, V(kBe, 0)), ESRCH);
  CHECK_ERR(get(kWhoPgrp, gone), ESRCH);
  CHECK_ERR(set(kWhoPgrp, gone, V(kBe, 0)), ESRCH);
}

// As uid 54321 (a uid nothing else runs as).
static void unprivileged(void) {
  pid_t parent = getppid();
  CHECK_OK(set(kWhoProcess, 0, V(kNone, 0)));
  CHECK_OK(setuid(54321));
  CHECK_ERR(set(kWhoProcess, 0, V(kRt, 0)), EPERM);
  CHECK_ERR(set(kWhoProcess, 999999, V(kRt, 0)), EPERM);  // before the target
  CHECK_ERR(set(kWhoProcess, parent, V(kBe, 0)), EPERM);  // another user's
  CHECK_OK(get(kWhoProcess, parent));                     // reading is fine
  CHECK_OK(set(kWhoProcess, 0, V(kBe, 0)));               // any level of BE, IDLE
  CHECK_OK(set(kWhoProcess, 0, V(kIdle, 0)));
  CHECK_EQ(get(kWhoProcess, 0), V(kIdle, 0));
  CHECK_OK(set(kWhoUser, 54321, V(kBe, 3)));
  CHECK_EQ(get(kWhoProcess, 0), V(kBe, 3));
  CHECK_EQ(get(kWhoUser, 54321), V(kBe, 3));
  CHECK_EQ(get(kWhoUser, 0), V(kBe, 3));   // 0: the caller's user
  CHECK_ERR(get(kWhoUser, 54329), ESRCH);  // no process of that user
  CHECK_ERR(set(kWhoUser, 54329, V(kBe, 3)), ESRCH);
  CHECK_ERR(set(kWhoUser, -1, V(kBe, 3)), ESRCH);  // not a valid uid
}

int main(void) {
  if (geteuid() != 0) {
    TEST_SKIP("I/O priorities: needs root");
    return 0;
  }
  pid_t gone = fork();
  CHECK(gone >= 0);
  if (gone == 0) _exit(0);
  wait_ok(gone);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    as_root(gone);
    _exit(0);
  }
  wait_ok(pid);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    unprivileged();
    _exit(0);
  }
  wait_ok(pid);
  printf("ioprio: ok\n");
  return 0;
}
