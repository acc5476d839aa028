// eventfd2 and eventfd: counting, EFD_SEMAPHORE, EFD_NONBLOCK (EAGAIN on an
// empty read and on a write that would overflow), EFD_CLOEXEC, 8-byte
// reads and writes (EINVAL for less, and for writing 2^64-1), poll
// readiness, blocking reads and writes woken by another thread, EINTR, and
// the errors EINVAL (flags), EFAULT and ESPIPE (pread; lseek does nothing);
// fstat and /proc/self/fd show Linux's anonymous inode.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "user/lib/check.h"

// fstat and /proc/self/fd of a file of the anonymous inode.
static void check_anon_inode(int fd, const char* name) {
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_mode, 0600);
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = CHECK_OK(readlink(path, link, sizeof link - 1));
  link[n] = 0;
  char want[64];
  snprintf(want, sizeof want, "anon_inode:%s", name);
  CHECK(strcmp(link, want) == 0);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static uint64_t read_u64(int fd) {
  uint64_t v = 0;
  CHECK_EQ(read(fd, &v, sizeof v), 8);
  return v;
}

static void write_u64(int fd, uint64_t v) { CHECK_EQ(write(fd, &v, sizeof v), 8); }

static short revents(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  CHECK_OK(poll(&p, 1, 0));
  return p.revents;
}

static void counting(void) {
  int fd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
  check_anon_inode(fd, "[eventfd]");
  uint64_t v;
  CHECK_ERR(read(fd, &v, 8), EAGAIN);
  CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
  write_u64(fd, 3);
  write_u64(fd, 4);
  CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
  // Short buffers, and a longer one reads just 8 bytes.
  CHECK_ERR(read(fd, &v, 7), EINVAL);
  CHECK_ERR(write(fd, &v, 4), EINVAL);
  uint64_t big[2] = {0, 0};
  CHECK_EQ(read(fd, big, sizeof big), 8);
  CHECK_EQ(big[0], 7);
  CHECK_ERR(read(fd, &v, 8), EAGAIN);
  // 2^64-1 is never a count; 2^64-2 is the largest.
  uint64_t max = UINT64_MAX;
  CHECK_ERR(write(fd, &max, 8), EINVAL);
  write_u64(fd, UINT64_MAX - 1);
  CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN);
  uint64_t one = 1;
  CHECK_ERR(write(fd, &one, 8), EAGAIN);
  write_u64(fd, 0);  // adding nothing always fits
  CHECK_EQ(read_u64(fd), UINT64_MAX - 1);
  // Bad buffers.
  write_u64(fd, 1);
  CHECK_ERR(write(fd, NULL, 8), EFAULT);
  CHECK_EQ(lseek(fd, 5, SEEK_SET), 0);  // noop_llseek
  CHECK_ERR(pread(fd, &v, 8, 0), ESPIPE);
  CHECK_OK(close(fd));

  // The legacy call: initial value, blocking, no flags.
  int legacy = CHECK_OK(syscall(SYS_eventfd, 5));
  CHECK_EQ(read_u64(legacy), 5);
  CHECK_EQ(fcntl(legacy, F_GETFL) & O_NONBLOCK, 0);
  CHECK_OK(close(legacy));
}

static void semaphore(void) {
  int fd = CHECK_OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
  CHECK_EQ(read_u64(fd), 1);
  CHECK_EQ(read_u64(fd), 1);
  CHECK_EQ(read_u64(fd), 1);
  uint64_t v;
  CHECK_ERR(read(fd, &v, 8), EAGAIN);
  CHECK_OK(close(fd));
}

static void flags(void) {
  CHECK_ERR(eventfd(0, 0x2), EINVAL);
  CHECK_ERR(syscall(SYS_eventfd2, 0, O_RDWR), EINVAL);
  CHECK_ERR(syscall(SYS_eventfd2, 0, -1), EINVAL);
}

static int blk_fd;

static void* writer_later(void* arg) {
  (void)arg;
  sleep_ms(50);
  write_u64(blk_fd, 9);
  return NULL;
}

static void* reader_later(void* arg) {
  (void)arg;
  sleep_ms(50);
  CHECK_EQ(read_u64(blk_fd), UINT64_MAX - 1);
  return NULL;
}

static void on_alarm(int sig) { (void)sig; }

static void blocking(void) {
  blk_fd = CHECK_OK(eventfd(0, 0));
  pthread_t t;
  CHECK(pthread_create(&t, NULL, writer_later, NULL) == 0);
  CHECK_EQ(read_u64(blk_fd), 9);  // sleeps until the writer
  CHECK(pthread_join(t, NULL) == 0);

  // A write that would overflow waits for a read.
  write_u64(blk_fd, UINT64_MAX - 1);
  CHECK(pthread_create(&t, NULL, reader_later, NULL) == 0);
  write_u64(blk_fd, 2);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(read_u64(blk_fd), 2);

  // A blocked read ends with EINTR when a handler without SA_RESTART runs.
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {{0, 0}, {0, 50 * 1000}};
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  uint64_t v;
  CHECK_ERR(read(blk_fd, &v, 8), EINTR);
  CHECK_OK(close(blk_fd));
}

int main(void) {
  counting();
  semaphore();
  flags();
  blocking();
  return 0;
}
