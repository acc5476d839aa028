// kcmp(2): 0 when two tasks share an object, 1 or 2 (consistently, and the
// other way round when swapped) when they do not, for open files, address
// spaces, descriptor tables, fs contexts, signal handlers, System V undo
// lists and an epoll instance's target; Linux's errors (ESRCH, EBADF,
// EINVAL, EFAULT, ENOENT, EPERM).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
  return syscall(SYS_kcmp, a, b, type, i1, i2);
}

// Different objects: 1 or 2, and the other one when swapped.
static void check_differ(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
  long r = CHECK_OK(kcmp(a, b, type, i1, i2));
  CHECK(r == 1 || r == 2);
  CHECK_EQ(kcmp(b, a, type, i2, i1), 3 - r);
}

// In a thread: its tid names it, and it shares all with its process.
static long thread_result = -1;
static void* thread_main(void* arg) {
  (void)arg;
  long r = 0;
  for (int t = KCMP_VM; t <= KCMP_SYSVSEM; ++t) r |= kcmp(getpid(), gettid(), t, 0, 0);
  thread_result = r;
  return NULL;
}

int main(void) {
  pid_t me = getpid();
  int fd = CHECK_OK(open("/proc/self/status", O_RDONLY));
  int same = CHECK_OK(dup(fd));
  int other = CHECK_OK(open("/proc/self/status", O_RDONLY));
  CHECK_EQ(kcmp(me, me, KCMP_FILE, fd, fd), 0);
  CHECK_EQ(kcmp(me, me, KCMP_FILE, fd, same), 0);  // one description
  check_differ(me, me, KCMP_FILE, fd, other);      // two opens
  CHECK_ERR(kcmp(me, me, KCMP_FILE, fd, 999), EBADF);
  CHECK_ERR(kcmp(me, me, KCMP_FILE, 4000000000ul, fd), EBADF);
  for (int t = KCMP_VM; t <= KCMP_SYSVSEM; ++t) CHECK_EQ(kcmp(me, me, t, 0, 0), 0);
  CHECK_ERR(kcmp(me, me, KCMP_TYPES, 0, 0), EINVAL);
  CHECK_ERR(kcmp(me, me, -1, 0, 0), EINVAL);
  CHECK_ERR(kcmp(me, 4194303, KCMP_VM, 0, 0), ESRCH);

  // A thread shares everything with its process (named by its tid).
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, thread_main, NULL), 0);
  int done[2];
  CHECK_OK(pipe(done));
  // A forked child shares its descriptions (inherited) but nothing else.
  pid_t c = CHECK_OK(fork());
  if (c == 0) {
    char x;
    (void)!read(done[0], &x, 1);
    _exit(0);
  }
  CHECK_EQ(pthread_join(th, NULL), 0);
  CHECK_EQ(thread_result, 0);
  CHECK_EQ(kcmp(me, c, KCMP_FILE, fd, fd), 0);
  check_differ(me, c, KCMP_VM, 0, 0);
  check_differ(me, c, KCMP_FILES, 0, 0);
  check_differ(me, c, KCMP_FS, 0, 0);
  check_differ(me, c, KCMP_SIGHAND, 0, 0);
  CHECK_EQ(kcmp(me, c, KCMP_IO, 0, 0), 0);
  // The order is the same whichever way round the same pair is asked.
  CHECK_EQ(kcmp(me, c, KCMP_VM, 0, 0), kcmp(me, c, KCMP_VM, 0, 0));

  // A process with an undo list (after a SEM_UNDO semop) differs from one
  // without.
  int sem = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
  struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO};
  CHECK_OK(semop(sem, &op, 1));
  check_differ(me, c, KCMP_SYSVSEM, 0, 0);
  CHECK_OK(semctl(sem, 0, IPC_RMID));

  // KCMP_EPOLL_TFD: a file against what an epoll instance watches as
  // descriptor tfd (even once that descriptor is closed).
  int p[2];
  CHECK_OK(pipe(p));
  int ep = CHECK_OK(epoll_create1(0));
  struct epoll_event ev = {.events = EPOLLIN};
  int watched = CHECK_OK(dup2(p[0], 64));
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, watched, &ev));
  CHECK_OK(close(watched));
  struct kcmp_epoll_slot slot = {.efd = (uint32_t)ep, .tfd = 64, .toff = 0};
  CHECK_EQ(kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot), 0);
  long r = CHECK_OK(kcmp(me, me, KCMP_EPOLL_TFD, p[1], (unsigned long)&slot));
  CHECK(r == 1 || r == 2);
  slot.toff = 1;
  CHECK_ERR(kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot), ENOENT);
  slot.toff = 0;
  slot.tfd = 65;
  CHECK_ERR(kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot), ENOENT);
  slot.efd = (uint32_t)p[1];  // not an epoll instance
  CHECK_ERR(kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot), EINVAL);
  slot.efd = 999;
  CHECK_ERR(kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot), EBADF);
  CHECK_ERR(kcmp(me, me, KCMP_EPOLL_TFD, p[0], 8), EFAULT);

  // Without ptrace access to a task: EPERM.
  if (geteuid() == 0) {
    pid_t u = CHECK_OK(fork());
    if (u == 0) {
      if (setuid(65534) != 0) _exit(10);
      if (kcmp(getpid(), me, KCMP_VM, 0, 0) != -1 || errno != EPERM) _exit(11);
      if (kcmp(me, getpid(), KCMP_VM, 0, 0) != -1 || errno != EPERM) _exit(12);
      _exit(kcmp(getpid(), getpid(), KCMP_VM, 0, 0) == 0 ? 0 : 13);
    }
    CHECK_EQ(wait_exit_status(u), 0);
  }
  CHECK_EQ(write(done[1], "x", 1), 1);
  CHECK_EQ(wait_exit_status(c), 0);
  puts("kcmp: ok");
  return 0;
}
