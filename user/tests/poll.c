// poll/ppoll/select on pipes: timeouts, readiness after a write, POLLHUP
// after the writer closes, POLLERR... POLLNVAL for a bad fd.
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <time.h>

#include <sys/select.h>

#include "user/lib/check.h"

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  CHECK_EQ(poll(fds, 1, 0), 0);
  long long t0 = now_ms();
  CHECK_EQ(poll(fds, 1, 50), 0);
  CHECK(now_ms() - t0 >= 45);
  CHECK_EQ(poll(fds, 2, 0), 1);
  CHECK_EQ(fds[1].revents, POLLOUT);
  CHECK_EQ(write(p[1], "x", 1), 1);
  CHECK_EQ(poll(fds, 2, 1000), 2);
  CHECK(fds[0].revents & POLLIN);
  struct timespec ts = {0, 10 * 1000 * 1000};
  sigset_t mask;
  sigemptyset(&mask);
  CHECK_EQ(ppoll(fds, 1, &ts, &mask), 1);
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(ppoll(fds, 1, &ts, NULL), 0);
  CHECK_OK(close(p[1]));
  CHECK_EQ(poll(fds, 1, 1000), 1);
  CHECK(fds[0].revents & POLLHUP);
  struct pollfd bad = {1000, POLLIN, 0};
  CHECK_EQ(poll(&bad, 1, 0), 1);
  CHECK_EQ(bad.revents, POLLNVAL);
  struct pollfd neg = {-1, POLLIN, 123};
  CHECK_EQ(poll(&neg, 1, 0), 0);  // negative fds are ignored
  CHECK_EQ(neg.revents, 0);
  CHECK_OK(close(p[0]));

  // select.
  CHECK_OK(pipe(p));
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  struct timeval tv = {0, 30000};
  t0 = now_ms();
  CHECK_EQ(select(p[0] + 1, &rd, NULL, NULL, &tv), 0);
  CHECK(now_ms() - t0 >= 25);
  CHECK(!FD_ISSET(p[0], &rd));
  CHECK_EQ(write(p[1], "y", 1), 1);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  FD_ZERO(&wr);
  FD_SET(p[1], &wr);
  tv = (struct timeval){1, 0};
  int maxfd = p[0] > p[1] ? p[0] : p[1];
  CHECK_EQ(select(maxfd + 1, &rd, &wr, NULL, &tv), 2);
  CHECK(FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr));
  tv = (struct timeval){0, 0};
  CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL);
  int closed = CHECK_OK(dup(0));  // a closed descriptor inside the table
  CHECK_OK(close(closed));
  FD_ZERO(&rd);
  FD_SET(closed, &rd);
  CHECK_ERR(select(closed + 1, &rd, NULL, NULL, &tv), EBADF);
  return 0;
}
