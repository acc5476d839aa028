// fcntl record locks: F_GETLK (the conflicting lock with its owner's pid),
// F_SETLK (EAGAIN on a conflict), range splitting and merging, l_whence and
// negative l_len, POSIX locks owned by the process (not inherited by fork,
// all released when it closes any descriptor of the file), F_SETLKW woken
// by an unlock, EDEADLK, EINTR, OFD locks (owned by the description, shared
// through fork, conflicting within one process, released by its close), and
// the errors EINVAL, EBADF and EFAULT.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <sys/time.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static int setlk(int fd, int cmd, short type, short whence, off_t start, off_t len) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = whence;
  fl.l_start = start;
  fl.l_len = len;
  return fcntl(fd, cmd, &fl);
}

// F_GETLK (or F_OFD_GETLK) for a lock of `type` over [start, start+len).
static struct flock getlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  CHECK_OK(fcntl(fd, cmd, &fl));
  return fl;
}

static void expect_lock(int fd, short type, off_t start, off_t len, short held, off_t hstart,
                        off_t hlen, pid_t pid) {
  struct flock fl = getlk(fd, F_GETLK, type, start, len);
  CHECK_EQ(fl.l_type, held);
  if (held == F_UNLCK) return;
  CHECK_EQ(fl.l_whence, SEEK_SET);
  CHECK_EQ(fl.l_start, hstart);
  CHECK_EQ(fl.l_len, hlen);
  CHECK_EQ(fl.l_pid, pid);
}

static void sleep_ms(long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&d, NULL);
}

static void wait_ok(pid_t child) {
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  enter_tmpdir();
  char buf[100];
  memset(buf, 'x', sizeof buf);
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, buf, sizeof buf), 100);
  pid_t me = getpid();

  // Conflicts seen from another process; reads share.
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
  expect_lock(fd, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0);  // our own locks never conflict
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    expect_lock(fd, F_WRLCK, 5, 1, F_WRLCK, 0, 10, me);
    expect_lock(fd, F_RDLCK, 25, 1, F_UNLCK, 0, 0, 0);
    expect_lock(fd, F_WRLCK, 25, 6, F_RDLCK, 20, 10, me);
    CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
    CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
    CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 5));
    _exit(0);
  }
  wait_ok(child);

  // Splitting, merging and converting.
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
  CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
  child = CHECK_OK(fork());
  if (child == 0) {
    expect_lock(fd, F_WRLCK, 40, 20, F_UNLCK, 0, 0, 0);
    expect_lock(fd, F_WRLCK, 39, 1, F_WRLCK, 0, 40, me);
    expect_lock(fd, F_WRLCK, 60, 1, F_WRLCK, 60, 40, me);
    _exit(0);
  }
  wait_ok(child);
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
  CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
  child = CHECK_OK(fork());
  if (child == 0) {
    expect_lock(fd, F_RDLCK, 10, 10, F_UNLCK, 0, 0, 0);
    expect_lock(fd, F_RDLCK, 9, 1, F_WRLCK, 0, 10, me);
    expect_lock(fd, F_RDLCK, 20, 1, F_WRLCK, 20, 80, me);
    expect_lock(fd, F_WRLCK, 15, 1, F_RDLCK, 10, 10, me);
    _exit(0);
  }
  wait_ok(child);
  // l_whence and negative lengths: SEEK_END - 10 for 10 bytes, and the 10
  // bytes before offset 50 (to the end of any file: l_len 0).
  CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 10));
  CHECK_OK(lseek(fd, 50, SEEK_SET));
  CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_CUR, 0, -10));
  CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, 0));
  child = CHECK_OK(fork());
  if (child == 0) {
    expect_lock(fd, F_WRLCK, 0, 0, F_RDLCK, 40, 10, me);
    expect_lock(fd, F_WRLCK, 50, 0, F_WRLCK, 90, 10, me);
    expect_lock(fd, F_WRLCK, 100, 0, F_RDLCK, 200, 0, me);
    _exit(0);
  }
  wait_ok(child);

  // Closing any descriptor of the file drops all of the process's locks.
  int other = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(close(other));
  child = CHECK_OK(fork());
  if (child == 0) {
    expect_lock(fd, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0);
    _exit(0);
  }
  wait_ok(child);

  // F_SETLKW waits for the unlock.
  int ready[2];
  CHECK_OK(pipe(ready));
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  child = CHECK_OK(fork());
  if (child == 0) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    _exit(ms >= 50 ? 0 : 2);
  }
  sleep_ms(100);
  CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  wait_ok(child);

  // EDEADLK: the child holds byte 1 and waits for byte 0, which we hold.
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1));
    CHECK_EQ(write(ready[1], "r", 1), 1);
    CHECK_OK(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
    _exit(0);
  }
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  sleep_ms(100);
  CHECK_ERR(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1), EDEADLK);
  CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  wait_ok(child);

  // EINTR from a handler without SA_RESTART.
  CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  child = CHECK_OK(fork());
  if (child == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    struct itimerval it = {{0, 0}, {0, 50000}};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_ERR(setlk(fd, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1), EINTR);
    _exit(0);
  }
  wait_ok(child);
  CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

  // OFD locks: owned by the description.
  int a = CHECK_OK(open("f", O_RDWR));
  int b = CHECK_OK(open("f", O_RDWR));
  CHECK_OK(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1), EAGAIN);
  struct flock fl = getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0);
  CHECK_EQ(fl.l_type, F_WRLCK);
  CHECK_EQ(fl.l_start, 0);
  CHECK_EQ(fl.l_len, 10);
  CHECK_EQ(fl.l_pid, -1);
  CHECK_ERR(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EAGAIN);  // POSIX vs OFD
  child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 20));  // the same description
    _exit(0);
  }
  wait_ok(child);
  CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 15, 1), EAGAIN);
  CHECK_OK(close(a));  // the description goes, with its locks
  CHECK_OK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 20));
  CHECK_OK(close(b));

  // Errors.
  struct flock bad;
  memset(&bad, 0, sizeof bad);
  bad.l_type = F_WRLCK;
  bad.l_pid = 1;
  CHECK_ERR(fcntl(fd, F_OFD_SETLK, &bad), EINVAL);
  CHECK_ERR(setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1), EINVAL);
  CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, 9, 0, 1), EINVAL);
  CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL);
  CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -10), EINVAL);
  CHECK_ERR(setlk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL);
  CHECK_ERR(fcntl(fd, F_SETLK, (struct flock*)1), EFAULT);
  int ro = CHECK_OK(open("f", O_RDONLY));
  int wo = CHECK_OK(open("f", O_WRONLY));
  CHECK_ERR(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
  CHECK_ERR(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
  CHECK_OK(setlk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
  CHECK_OK(setlk(wo, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  CHECK_OK(close(ro));
  CHECK_OK(close(wo));
  CHECK_OK(close(fd));
  printf("record_lock: ok\n");
  return 0;
}
