// timerfd_create/settime/gettime: relative and absolute (TFD_TIMER_ABSTIME)
// deadlines on CLOCK_MONOTONIC and CLOCK_REALTIME, periodic timers counting
// every expiration, disarming, the old value settime returns, blocking and
// nonblocking reads, poll readiness, and the errors: EINVAL (clock, flags,
// timespecs, short reads, writes, a descriptor that is not a timerfd),
// EBADF and EFAULT.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

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

static uint64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec ts_of(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  return ts;
}

static uint64_t ns_of(struct timespec ts) {
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void arm(int fd, int flags, uint64_t value_ns, uint64_t interval_ns) {
  struct itimerspec its = {ts_of(interval_ns), ts_of(value_ns)};
  CHECK_OK(timerfd_settime(fd, flags, &its, NULL));
}

static uint64_t read_ticks(int fd) {
  uint64_t n = 0;
  CHECK_EQ(read(fd, &n, sizeof n), 8);
  return n;
}

static void one_shot(void) {
  int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
  check_anon_inode(fd, "[timerfd]");
  uint64_t start = now_ns(CLOCK_MONOTONIC);
  arm(fd, 0, 50 * 1000000ull, 0);
  CHECK_EQ(read_ticks(fd), 1);  // blocks until the expiry
  CHECK(now_ns(CLOCK_MONOTONIC) - start >= 50 * 1000000ull);
  // Expired, not periodic: disarmed now.
  struct itimerspec cur;
  CHECK_OK(timerfd_gettime(fd, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK_EQ(ns_of(cur.it_interval), 0);
  CHECK_OK(close(fd));
}

static void periodic(void) {
  int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  uint64_t n;
  CHECK_ERR(read(fd, &n, 8), EAGAIN);  // disarmed
  arm(fd, 0, 10 * 1000000ull, 10 * 1000000ull);
  CHECK_ERR(read(fd, &n, 8), EAGAIN);
  sleep_ms(65);
  uint64_t ticks = read_ticks(fd);
  uint64_t read_at = now_ns(CLOCK_MONOTONIC);
  CHECK(ticks >= 4);  // every expiration since, not just one
  // The read took them all: the next finds none, unless another period
  // ended in between (the machine may be slow or loaded), and then only
  // the periods since.
  ssize_t again = read(fd, &n, 8);
  if (again == -1) {
    CHECK_EQ(errno, EAGAIN);
  } else {
    CHECK_EQ(again, 8);
    CHECK(n >= 1 && n <= 1 + (now_ns(CLOCK_MONOTONIC) - read_at) / (10 * 1000000ull));
  }
  CHECK_ERR(read(fd, &n, 4), EINVAL);
  CHECK_ERR(write(fd, &n, 8), EINVAL);
  // gettime: still armed, the interval as set.
  struct itimerspec cur;
  CHECK_OK(timerfd_gettime(fd, &cur));
  CHECK_EQ(ns_of(cur.it_interval), 10 * 1000000ull);
  CHECK(ns_of(cur.it_value) <= 10 * 1000000ull);
  // Re-arming returns the old setting; value 0 disarms.
  struct itimerspec its = {ts_of(0), ts_of(5ull * 1000000000ull)}, old;
  CHECK_OK(timerfd_settime(fd, 0, &its, &old));
  CHECK_EQ(ns_of(old.it_interval), 10 * 1000000ull);
  CHECK_OK(timerfd_gettime(fd, &cur));
  CHECK(ns_of(cur.it_value) > 4ull * 1000000000ull);
  CHECK(ns_of(cur.it_value) <= 5ull * 1000000000ull);
  CHECK_EQ(ns_of(cur.it_interval), 0);
  struct itimerspec off = {ts_of(0), ts_of(0)};
  CHECK_OK(timerfd_settime(fd, 0, &off, &old));
  CHECK(ns_of(old.it_value) > 4ull * 1000000000ull);
  CHECK_OK(timerfd_gettime(fd, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK_ERR(read(fd, &n, 8), EAGAIN);
  CHECK_OK(close(fd));
}

static void absolute(void) {
  int mono = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
  arm(mono, TFD_TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) + 30 * 1000000ull, 0);
  struct pollfd p = {mono, POLLIN, 0};
  CHECK_EQ(poll(&p, 1, 0), 0);
  CHECK_EQ(poll(&p, 1, 5000), 1);  // woken by the expiry
  CHECK_EQ(p.revents, POLLIN);
  CHECK_EQ(read_ticks(mono), 1);
  CHECK_OK(close(mono));

  // A deadline already past on CLOCK_REALTIME expires at once; with an
  // interval, the expirations since then count.
  int rt = CHECK_OK(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
  arm(rt, TFD_TIMER_ABSTIME, now_ns(CLOCK_REALTIME) - 1000000000ull, 100 * 1000000ull);
  // Linux fires it from its timer interrupt just after timerfd_settime
  // returns, so wait for it to be readable. 11 if no time passed between
  // arming and reading (a slow emulator may take a few intervals more).
  struct pollfd prt = {rt, POLLIN, 0};
  CHECK_EQ(poll(&prt, 1, 5000), 1);
  uint64_t ticks = read_ticks(rt);
  CHECK(ticks >= 10 && ticks <= 30);
  CHECK_OK(close(rt));

  int boot = CHECK_OK(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK));
  arm(boot, 0, 1, 0);
  sleep_ms(5);
  struct pollfd pboot = {boot, POLLIN, 0};
  CHECK_EQ(poll(&pboot, 1, 5000), 1);
  CHECK_EQ(read_ticks(boot), 1);
  CHECK_OK(close(boot));
}

static void errors(void) {
  CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
  CHECK_ERR(timerfd_create(42, 0), EINVAL);
  CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
  int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
  struct itimerspec its = {{0, 0}, {1, 0}};
  CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL);
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  CHECK_ERR(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
  struct itimerspec neg = {{-1, 0}, {1, 0}};
  CHECK_ERR(timerfd_settime(fd, 0, &neg, NULL), EINVAL);
  CHECK_ERR(timerfd_settime(fd, 0, NULL, NULL), EFAULT);
  CHECK_ERR(timerfd_gettime(fd, NULL), EFAULT);
  CHECK_ERR(timerfd_settime(-1, 0, &its, NULL), EBADF);
  CHECK_ERR(timerfd_gettime(-1, &its), EBADF);
  int efd = CHECK_OK(eventfd(0, 0));
  CHECK_ERR(timerfd_settime(efd, 0, &its, NULL), EINVAL);
  CHECK_ERR(timerfd_gettime(efd, &its), EINVAL);
  CHECK_OK(close(efd));
  CHECK_OK(close(fd));
}

int main(void) {
  one_shot();
  periodic();
  absolute();
  errors();
  return 0;
}
