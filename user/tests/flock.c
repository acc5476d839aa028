// flock(2): shared and exclusive locks owned by the open file description
// (shared by dup and fork, separate for another open()), LOCK_NB
// (EWOULDBLOCK), conversion (which drops the old lock first, as Linux
// does), release by LOCK_UN, by the description's last close and by exit,
// a blocked LOCK_EX woken when the holder exits, EINTR, and the errors
// EBADF and EINVAL.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  enter_tmpdir();
  write_file("f", "data");
  int a = CHECK_OK(open("f", O_RDONLY));
  int b = CHECK_OK(open("f", O_RDWR));
  // Exclusive against another description; the same description (dup) is
  // the same owner.
  CHECK_OK(flock(a, LOCK_EX));
  CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  int a2 = CHECK_OK(dup(a));
  CHECK_OK(flock(a2, LOCK_EX | LOCK_NB));
  CHECK_OK(flock(a2, LOCK_UN));
  CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
  CHECK_OK(flock(a, LOCK_SH | LOCK_NB));  // shared with shared
  CHECK_OK(flock(a, LOCK_SH | LOCK_NB));  // again: nothing changes
  // A failed conversion loses the old lock: b can now convert.
  CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
  CHECK_ERR(flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  // Unlocking without a lock is fine.
  CHECK_OK(flock(a, LOCK_UN));
  // The last close of b's description releases its lock.
  int b2 = CHECK_OK(dup(b));
  CHECK_OK(close(b));
  CHECK_ERR(flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  CHECK_OK(close(b2));
  CHECK_OK(flock(a, LOCK_EX | LOCK_NB));
  CHECK_OK(flock(a, LOCK_UN));

  // A child shares the description: its LOCK_UN unlocks it for the parent.
  CHECK_OK(flock(a, LOCK_EX));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    if (flock(a, LOCK_EX | LOCK_NB) != 0) _exit(2);
    if (flock(a, LOCK_UN) != 0) _exit(3);
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  b = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
  CHECK_OK(close(b));

  // A blocked LOCK_EX waits for the holder (another process) to exit.
  int ready[2];
  CHECK_OK(pipe(ready));
  child = CHECK_OK(fork());
  if (child == 0) {
    int fd = open("f", O_RDONLY);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) _exit(2);
    if (write(ready[1], "r", 1) != 1) _exit(3);
    struct timespec d = {0, 150 * 1000000L};
    nanosleep(&d, NULL);
    _exit(0);  // exit closes the file, releasing the lock
  }
  char c;
  CHECK_EQ(read(ready[0], &c, 1), 1);
  long long start = now_ms();
  CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  CHECK_OK(flock(a, LOCK_EX));
  CHECK(now_ms() - start >= 50);
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // A signal whose handler does not restart interrupts the wait: EINTR.
  child = CHECK_OK(fork());
  if (child == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    if (sigaction(SIGALRM, &sa, NULL) != 0) _exit(2);
    int fd = open("f", O_RDONLY);
    struct itimerval it = {{0, 0}, {0, 50000}};
    if (fd < 0 || setitimer(ITIMER_REAL, &it, NULL) != 0) _exit(3);
    if (flock(fd, LOCK_SH) != -1 || errno != EINTR) _exit(4);
    _exit(0);
  }
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  CHECK_OK(flock(a, LOCK_UN));

  // Errors.
  CHECK_ERR(flock(-1, LOCK_SH), EBADF);
  CHECK_ERR(flock(999, LOCK_SH), EBADF);
  CHECK_ERR(flock(a, 0), EINVAL);
  CHECK_ERR(flock(a, LOCK_NB), EINVAL);
  CHECK_ERR(flock(a, LOCK_SH | LOCK_EX), EINVAL);
  CHECK_ERR(flock(a, 16), EINVAL);
  CHECK_OK(close(a));
  CHECK_OK(close(a2));
  printf("flock: ok\n");
  return 0;
}
