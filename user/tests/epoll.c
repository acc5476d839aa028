// epoll: create (EINVAL for bad sizes and flags, EPOLL_CLOEXEC), ctl ADD/MOD/
// DEL with their errors (EEXIST, ENOENT, EPERM for a regular file, EINVAL,
// EBADF, EFAULT, ELOOP), level-triggered, edge-triggered (EPOLLET) and
// one-shot (EPOLLONESHOT) reports on pipes, eventfds, timerfds and a
// terminal, EPOLLHUP, round-robin with a small maxevents, nested instances,
// closed descriptors dropping out, blocking waits woken by another thread or
// a timer, EINTR, epoll_pwait's mask size and epoll_pwait2's timespec.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

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

static void add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
}

static int wait1(int ep, struct epoll_event* ev, int timeout) {
  return (int)CHECK_OK(epoll_wait(ep, ev, 1, timeout));
}

static void create(void) {
  CHECK_ERR(epoll_create(0), EINVAL);
  CHECK_ERR(epoll_create(-1), EINVAL);
  CHECK_ERR(epoll_create1(1), EINVAL);
  int a = CHECK_OK(epoll_create(1));
  check_anon_inode(a, "[eventpoll]");
  CHECK_EQ(fcntl(a, F_GETFD), 0);
  int b = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
  CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
  char c;
  CHECK_ERR(read(a, &c, 1), EINVAL);
  CHECK_ERR(write(a, &c, 1), EINVAL);
  CHECK_OK(close(a));
  CHECK_OK(close(b));
}

static void ctl_errors(void) {
  int ep = CHECK_OK(epoll_create1(0));
  int p[2];
  CHECK_OK(pipe(p));
  struct epoll_event ev = {.events = EPOLLIN};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
  CHECK_ERR(epoll_ctl(ep, 99, p[0], &ev), EINVAL);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);      // itself
  CHECK_ERR(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);  // not an epoll fd
  CHECK_ERR(epoll_ctl(-1, EPOLL_CTL_ADD, p[1], &ev), EBADF);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL), EFAULT);
  struct epoll_event ex = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ex), EINVAL);
  struct epoll_event ex_oneshot = {.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT};
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ex_oneshot), EINVAL);
  // A regular file cannot be polled by epoll.
  enter_tmpdir();
  write_file("f", "x");
  int f = CHECK_OK(open("f", O_RDONLY));
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
  // Waits: bad sizes, not an epoll fd, bad buffers.
  struct epoll_event out[2];
  CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL);
  CHECK_ERR(epoll_wait(ep, out, -1, 0), EINVAL);
  CHECK_ERR(epoll_wait(p[0], out, 1, 0), EINVAL);
  CHECK_ERR(epoll_wait(-1, out, 1, 0), EBADF);
  // A buffer past the end of user space, and a NULL one once an event is due.
  CHECK_ERR(epoll_wait(ep, (struct epoll_event*)-4096L, 1, 0), EFAULT);
  int e = CHECK_OK(eventfd(1, 0));
  add(ep, e, EPOLLIN, 1);
  CHECK_ERR(epoll_wait(ep, NULL, 1, 0), EFAULT);
  CHECK_OK(close(e));
  CHECK_OK(close(f));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(ep));
}

static void triggers(void) {
  int lt = CHECK_OK(epoll_create1(0));
  int et = CHECK_OK(epoll_create1(0));
  int p[2];
  CHECK_OK(pipe(p));
  add(lt, p[0], EPOLLIN, 0x1122334455667788ull);
  add(et, p[0], EPOLLIN | EPOLLET, 7);
  struct epoll_event ev;
  CHECK_EQ(epoll_wait(lt, &ev, 1, 0), 0);
  CHECK_EQ(epoll_wait(et, &ev, 1, 0), 0);
  CHECK_EQ(write(p[1], "ab", 2), 2);
  // Level-triggered: reported as long as it is readable.
  CHECK_EQ(wait1(lt, &ev, 0), 1);
  CHECK_EQ(ev.events, EPOLLIN);
  CHECK_EQ(ev.data.u64, 0x1122334455667788ull);
  CHECK_EQ(wait1(lt, &ev, 0), 1);
  // Edge-triggered: once per new arrival.
  CHECK_EQ(wait1(et, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 7);
  CHECK_EQ(wait1(et, &ev, 0), 0);
  CHECK_EQ(write(p[1], "c", 1), 1);
  CHECK_EQ(wait1(et, &ev, 0), 1);
  CHECK_EQ(wait1(et, &ev, 0), 0);
  // MOD changes the events and data: now only writability is asked for.
  struct epoll_event mod = {.events = EPOLLOUT, .data.u64 = 9};
  CHECK_OK(epoll_ctl(lt, EPOLL_CTL_MOD, p[0], &mod));
  CHECK_EQ(epoll_wait(lt, &ev, 1, 0), 0);
  // The write end is writable.
  add(lt, p[1], EPOLLOUT, 10);
  CHECK_EQ(wait1(lt, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 10);
  CHECK_EQ(ev.events, EPOLLOUT);
  CHECK_OK(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL));
  char buf[8];
  CHECK_EQ(read(p[0], buf, sizeof buf), 3);
  // EPOLLHUP without being asked: the write end closes.
  int q[2];
  CHECK_OK(pipe(q));
  add(lt, q[0], EPOLLIN, 11);
  CHECK_OK(close(q[1]));
  CHECK_EQ(wait1(lt, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 11);
  CHECK_EQ(ev.events, EPOLLHUP);
  CHECK_OK(close(q[0]));
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(lt));
  CHECK_OK(close(et));
}

static void oneshot_and_round_robin(void) {
  int ep = CHECK_OK(epoll_create1(0));
  int a = CHECK_OK(eventfd(1, 0));
  int b = CHECK_OK(eventfd(1, 0));
  add(ep, a, EPOLLIN | EPOLLONESHOT, 1);
  struct epoll_event ev;
  CHECK_EQ(wait1(ep, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 1);
  CHECK_EQ(wait1(ep, &ev, 0), 0);  // disabled until re-armed
  struct epoll_event rearm = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 2};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, a, &rearm));
  CHECK_EQ(wait1(ep, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 2);
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL));
  // Two ready level-triggered interests and room for one: both get a turn.
  add(ep, a, EPOLLIN, 1);
  add(ep, b, EPOLLIN, 2);
  CHECK_EQ(wait1(ep, &ev, 0), 1);
  uint64_t first = ev.data.u64;
  CHECK_EQ(wait1(ep, &ev, 0), 1);
  CHECK(ev.data.u64 != first);
  struct epoll_event two[4];
  CHECK_EQ(epoll_wait(ep, two, 4, 0), 2);
  // A closed descriptor drops out.
  CHECK_OK(close(b));
  CHECK_EQ(epoll_wait(ep, two, 4, 0), 1);
  CHECK_EQ(two[0].data.u64, 1);
  CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, b, NULL), EBADF);
  CHECK_OK(close(a));
  CHECK_OK(close(ep));
}

static void nested(void) {
  int inner = CHECK_OK(epoll_create1(0));
  int outer = CHECK_OK(epoll_create1(0));
  int e = CHECK_OK(eventfd(0, 0));
  add(inner, e, EPOLLIN, 1);
  add(outer, inner, EPOLLIN, 2);
  struct epoll_event ev;
  CHECK_EQ(epoll_wait(outer, &ev, 1, 0), 0);
  uint64_t one = 1;
  CHECK_EQ(write(e, &one, 8), 8);
  CHECK_EQ(wait1(outer, &ev, 0), 1);
  CHECK_EQ(ev.data.u64, 2);
  CHECK_EQ(ev.events, EPOLLIN);
  // A loop is refused.
  struct epoll_event back = {.events = EPOLLIN};
  CHECK_ERR(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &back), ELOOP);
  CHECK_OK(close(e));
  CHECK_OK(close(outer));
  CHECK_OK(close(inner));
}

static int late_fd;

static void* write_later(void* arg) {
  (void)arg;
  sleep_ms(50);
  uint64_t one = 1;
  CHECK_EQ(write(late_fd, &one, 8), 8);
  return NULL;
}

static void on_alarm(int sig) { (void)sig; }

static void blocking(void) {
  int ep = CHECK_OK(epoll_create1(0));
  late_fd = CHECK_OK(eventfd(0, 0));
  add(ep, late_fd, EPOLLIN, 5);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, write_later, NULL) == 0);
  struct epoll_event ev;
  CHECK_EQ(wait1(ep, &ev, -1), 1);  // woken by the other thread
  CHECK_EQ(ev.data.u64, 5);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, late_fd, NULL));

  // A timerfd wakes a wait with no timeout.
  int tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
  add(ep, tfd, EPOLLIN | EPOLLET, 6);
  struct itimerspec its = {{0, 0}, {0, 30 * 1000 * 1000}};
  CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
  CHECK_EQ(wait1(ep, &ev, -1), 1);
  CHECK_EQ(ev.data.u64, 6);
  CHECK_EQ(wait1(ep, &ev, 0), 0);  // edge-triggered: reported once
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL));

  // Timeouts: epoll_wait's milliseconds, epoll_pwait2's timespec.
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ(epoll_wait(ep, &ev, 1, 30), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 30 * 1000000L);
  if (REQUIRE_LINUX(5, 11, "epoll_pwait2")) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, (size_t)8), 0);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, &bad, NULL, (size_t)8), EINVAL);
  }
  sigset_t mask;
  sigemptyset(&mask);
  CHECK_EQ(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &mask, (size_t)8), 0);
  CHECK_ERR(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &mask, (size_t)7), EINVAL);

  // EINTR from a handler.
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {{0, 0}, {0, 50 * 1000}};
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  CHECK_ERR(epoll_wait(ep, &ev, 1, -1), EINTR);
  CHECK_OK(close(tfd));
  CHECK_OK(close(late_fd));
  CHECK_OK(close(ep));
}

// A terminal (when one is at hand) is writable.
static void terminal(void) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (!isatty(fd)) continue;
    int ep = CHECK_OK(epoll_create1(0));
    add(ep, fd, EPOLLOUT, 3);
    struct epoll_event ev;
    CHECK_EQ(wait1(ep, &ev, 1000), 1);
    CHECK(ev.events & EPOLLOUT);
    CHECK_OK(close(ep));
    return;
  }
  TEST_SKIP("epoll on a terminal (no descriptor 0-2 is a terminal)");
}

int main(void) {
  create();
  ctl_errors();
  triggers();
  oneshot_and_round_robin();
  nested();
  blocking();
  terminal();
  return 0;
}
