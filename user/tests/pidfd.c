// Process descriptors: pidfd_open (close-on-exec, PIDFD_NONBLOCK, EINVAL,
// ESRCH), poll and epoll readiness when the process exits, pidfd_send_signal (with and without a
// siginfo; EINVAL, EBADF, EPERM, ESRCH), waitid(P_PIDFD) (EAGAIN for a nonblocking pidfd, ECHILD,
// EBADF), CLONE_PIDFD through clone and clone3, pidfd_getfd, and a /proc/<pid>
// directory in place of a pidfd.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct clone_args_v0 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}
static int pidfd_send_signal(int fd, int sig, siginfo_t* info, unsigned flags) {
  return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static int pidfd_getfd(int fd, int target, unsigned flags) {
  return (int)syscall(SYS_pidfd_getfd, fd, target, flags);
}

// Linux 6.9 added thread pidfds: pidfd_open of a non-leader is ENOENT there
// (EINVAL before, and on Keel) and CLONE_PIDFD | CLONE_THREAD is allowed.
static int thread_pidfds(void) {
  int major = 0, minor = 0;
  sscanf(linux_release_(), "%d.%d", &major, &minor);
  return !on_keel() && (major > 6 || (major == 6 && minor >= 9));
}

static short revents(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  CHECK_OK(poll(&p, 1, timeout_ms));
  return p.revents;
}

// A child that waits until it is killed (or reads a byte from `in`).
static pid_t sleeper(void) {
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    for (;;) pause();
  }
  return child;
}

static void open_and_errors(void) {
  int fd = CHECK_OK(pidfd_open(getpid(), 0));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = CHECK_OK(readlink(path, link, sizeof link - 1));
  link[n] = 0;
  CHECK(strcmp(link, "anon_inode:[pidfd]") == 0);
  CHECK_EQ(revents(fd, 0), 0);
  // Waiting for ourselves: not our child.
  siginfo_t info;
  CHECK_ERR(waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG), ECHILD);
  CHECK_OK(close(fd));
  fd = CHECK_OK(pidfd_open(getpid(), O_NONBLOCK));
  CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
  CHECK_OK(close(fd));
  CHECK_ERR(pidfd_open(getpid(), 1), EINVAL);
  CHECK_ERR(pidfd_open(getpid(), O_CLOEXEC), EINVAL);
  CHECK_ERR(pidfd_open(0, 0), EINVAL);
  CHECK_ERR(pidfd_open(-1, 0), EINVAL);
  CHECK_ERR(pidfd_open(0x3fffffff, 0), ESRCH);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(pidfd_send_signal(p[0], 0, NULL, 0), EBADF);
  CHECK_ERR(pidfd_send_signal(-1, 0, NULL, 0), EBADF);
  CHECK_ERR(pidfd_getfd(p[0], 0, 0), EBADF);
  CHECK_ERR(waitid(P_PIDFD, p[0], &info, WEXITED), EBADF);
  CHECK_ERR(waitid(P_PIDFD, -1, &info, WEXITED), EINVAL);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
}

static void* idle_thread(void* arg) {
  *(pid_t*)arg = gettid();
  struct timespec d = {0, 200 * 1000000L};
  nanosleep(&d, NULL);
  return NULL;
}

static void not_a_leader(void) {
  pid_t tid = 0;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, idle_thread, &tid) == 0);
  while (__atomic_load_n(&tid, __ATOMIC_ACQUIRE) == 0) sched_yield();
  CHECK_ERR(pidfd_open(tid, 0), thread_pidfds() ? ENOENT : EINVAL);
  CHECK(pthread_join(t, NULL) == 0);
}

static void signal_and_wait(void) {
  pid_t child = sleeper();
  int fd = CHECK_OK(pidfd_open(child, 0));
  CHECK_EQ(revents(fd, 0), 0);
  int nb = CHECK_OK(pidfd_open(child, O_NONBLOCK));
  siginfo_t info;
  CHECK_ERR(waitid(P_PIDFD, nb, &info, WEXITED), EAGAIN);
  memset(&info, 0x5a, sizeof info);
  CHECK_OK(waitid(P_PIDFD, nb, &info, WEXITED | WNOHANG));
  CHECK_EQ(info.si_pid, 0);
  int ep = CHECK_OK(epoll_create1(0));
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 9};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
  struct epoll_event out;
  CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
  // Errors first: flags, bad signals, a siginfo that does not match.
  CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 0x100), EINVAL);
  CHECK_ERR(pidfd_send_signal(fd, 65, NULL, 0), EINVAL);
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  CHECK_ERR(pidfd_send_signal(fd, SIGUSR2, &info, 0), EINVAL);
  info.si_code = SI_USER;
  CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, &info, 0), EPERM);
  CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, (siginfo_t*)1, 0), EFAULT);
  CHECK_OK(pidfd_send_signal(fd, 0, NULL, 0));
  // A signal ends it: readable, and waitid through the pidfd.
  info.si_code = SI_QUEUE;
  CHECK_OK(pidfd_send_signal(fd, SIGUSR1, &info, 0));
  CHECK_EQ(revents(fd, 5000), POLLIN);
  CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
  CHECK_EQ(out.events, EPOLLIN);
  CHECK_EQ(out.data.u64, 9);
  memset(&info, 0, sizeof info);
  CHECK_OK(waitid(P_PIDFD, fd, &info, WEXITED | WNOWAIT));
  CHECK_EQ(info.si_pid, child);
  CHECK_OK(waitid(P_PIDFD, nb, &info, WEXITED));
  CHECK_EQ(info.si_signo, SIGCHLD);
  CHECK_EQ(info.si_pid, child);
  CHECK_EQ(info.si_code, CLD_KILLED);
  CHECK_EQ(info.si_status, SIGUSR1);
  // Reaped: still readable (Linux 6.9 and later add POLLHUP), and nothing
  // to signal or wait for.
  CHECK_EQ(revents(fd, 0) & ~POLLHUP, POLLIN);
  CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, NULL, 0), ESRCH);
  CHECK_ERR(pidfd_getfd(fd, 0, 0), ESRCH);
  CHECK_ERR(waitid(P_PIDFD, fd, &info, WEXITED), ECHILD);
  CHECK_OK(close(ep));
  CHECK_OK(close(nb));
  CHECK_OK(close(fd));
}

static void queued_value(void) {
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  CHECK_OK(sigprocmask(SIG_BLOCK, &usr2, NULL));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    siginfo_t got;
    if (sigwaitinfo(&usr2, &got) != SIGUSR2 || got.si_code != SI_QUEUE) _exit(1);
    _exit(got.si_value.sival_int);
  }
  CHECK_OK(sigprocmask(SIG_UNBLOCK, &usr2, NULL));
  int fd = CHECK_OK(pidfd_open(child, 0));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR2;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_value.sival_int = 23;
  CHECK_OK(pidfd_send_signal(fd, SIGUSR2, &info, 0));
  CHECK_OK(waitid(P_PIDFD, fd, &info, WEXITED));
  CHECK_EQ(info.si_code, CLD_EXITED);
  CHECK_EQ(info.si_status, 23);
  CHECK_OK(close(fd));
}

static void clone_pidfd(void) {
  // clone3: the pidfd at args.pidfd.
  int pfd = -1;
  struct clone_args_v0 args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&pfd;
  args.exit_signal = SIGCHLD;
  pid_t child = (pid_t)CHECK_OK(syscall(SYS_clone3, &args, sizeof args));
  if (child == 0) _exit(5);
  CHECK(pfd >= 0);
  CHECK_EQ(fcntl(pfd, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(revents(pfd, 5000), POLLIN);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  CHECK_OK(waitid(P_PIDFD, pfd, &info, WEXITED));
  CHECK_EQ(info.si_pid, child);
  CHECK_EQ(info.si_status, 5);
  CHECK_OK(close(pfd));
  // clone: the pidfd where CLONE_PARENT_SETTID would put the tid.
  pfd = -1;
  child = (pid_t)CHECK_OK(syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, NULL, 0));
  if (child == 0) _exit(6);
  CHECK(pfd >= 0);
  CHECK_OK(waitid(P_PIDFD, pfd, &info, WEXITED));
  CHECK_EQ(info.si_status, 6);
  CHECK_OK(close(pfd));
  // Errors make no child.
  CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, NULL, 0),
            EINVAL);
  if (thread_pidfds()) {
    TEST_SKIP("CLONE_PIDFD | CLONE_THREAD is EINVAL only before Linux 6.9");
  } else {
    args.flags = CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    args.exit_signal = 0;
    CHECK_ERR(syscall(SYS_clone3, &args, sizeof args), EINVAL);
  }
  args.flags = CLONE_PIDFD;
  args.exit_signal = SIGCHLD;
  args.pidfd = 1;
  CHECK_ERR(syscall(SYS_clone3, &args, sizeof args), EFAULT);
  CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
}

static void getfd(void) {
  int data[2], ready[2];
  CHECK_OK(pipe(data));
  CHECK_OK(pipe(ready));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    if (dup2(data[1], 42) != 42) _exit(1);
    close(data[0]);
    close(data[1]);
    if (write(ready[1], "r", 1) != 1) _exit(2);
    for (;;) pause();
  }
  CHECK_OK(close(data[1]));
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  int fd = CHECK_OK(pidfd_open(child, 0));
  int got = CHECK_OK(pidfd_getfd(fd, 42, 0));
  CHECK_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(write(got, "x", 1), 1);
  CHECK_EQ(read(data[0], &c, 1), 1);
  CHECK_EQ(c, 'x');
  CHECK_ERR(pidfd_getfd(fd, 42, 1), EINVAL);
  CHECK_ERR(pidfd_getfd(fd, 777, 0), EBADF);
  CHECK_ERR(pidfd_getfd(fd, -1, 0), EBADF);
  CHECK_OK(close(got));
  CHECK_OK(pidfd_send_signal(fd, SIGKILL, NULL, 0));
  siginfo_t info;
  CHECK_OK(waitid(P_PIDFD, fd, &info, WEXITED));
  CHECK_EQ(info.si_status, SIGKILL);
  CHECK_OK(close(fd));
  CHECK_OK(close(data[0]));
  CHECK_OK(close(ready[0]));
  CHECK_OK(close(ready[1]));
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) { usr1_seen = sig; }

// pidfd_send_signal takes an open /proc/<pid> directory as a pidfd (Linux's
// tgid_pidfd_to_pid); a thread's /proc/<pid>/task/<tid> or any other file is
// EBADF, and the directory of a process since reaped is ESRCH.
static void proc_dir_as_pidfd(void) {
  CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
  int dir = CHECK_OK(open("/proc/self", O_DIRECTORY | O_CLOEXEC));
  CHECK_OK(pidfd_send_signal(dir, SIGUSR1, NULL, 0));
  CHECK_EQ(usr1_seen, SIGUSR1);
  CHECK_OK(pidfd_send_signal(dir, 0, NULL, 0));
  CHECK_OK(close(dir));
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d", (int)gettid());
  int task = CHECK_OK(open(path, O_DIRECTORY | O_CLOEXEC));
  CHECK_ERR(pidfd_send_signal(task, 0, NULL, 0), EBADF);
  CHECK_OK(close(task));
  int file = CHECK_OK(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  CHECK_ERR(pidfd_send_signal(file, 0, NULL, 0), EBADF);
  CHECK_OK(close(file));
  pid_t child = CHECK_OK(fork());
  if (child == 0) _exit(0);
  snprintf(path, sizeof path, "/proc/%d", (int)child);
  int cdir = CHECK_OK(open(path, O_DIRECTORY | O_CLOEXEC));
  CHECK_EQ(waitpid(child, NULL, 0), child);
  CHECK_ERR(pidfd_send_signal(cdir, 0, NULL, 0), ESRCH);
  CHECK_OK(close(cdir));
  CHECK(signal(SIGUSR1, SIG_DFL) != SIG_ERR);
}

int main(void) {
  open_and_errors();
  proc_dir_as_pidfd();
  not_a_leader();
  signal_and_wait();
  queued_value();
  clone_pidfd();
  getfd();
  printf("pidfd: ok\n");
  return 0;
}
