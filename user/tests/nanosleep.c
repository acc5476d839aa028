// nanosleep and clock_nanosleep sleep at least as long as asked (upper
// bound generous); invalid times give EINVAL; a signal interrupts (EINTR)
// and reports the remaining time.
#include <signal.h>
#include <time.h>

#include <sys/time.h>

#include "user/lib/check.h"

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  long long t0 = now_ms();
  struct timespec req = {0, 100 * 1000 * 1000};
  CHECK_OK(nanosleep(&req, NULL));
  long long dt = now_ms() - t0;
  CHECK(dt >= 99);
  CHECK(dt < 5000);
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 50 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000;
  }
  t0 = now_ms();
  CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
  CHECK(now_ms() - t0 >= 45);
  struct timespec bad = {0, 1000000000};
  CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
  struct timespec neg = {-1, 0};
  CHECK_ERR(nanosleep(&neg, NULL), EINVAL);
  // Interrupted by SIGALRM from a 50 ms timer while asking for 10 s.
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  CHECK_OK(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {{0, 0}, {0, 50000}};
  CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
  struct timespec longreq = {10, 0}, rem = {0, 0};
  t0 = now_ms();
  CHECK_ERR(nanosleep(&longreq, &rem), EINTR);
  CHECK(now_ms() - t0 < 5000);
  CHECK(rem.tv_sec > 5 && rem.tv_sec <= 10);
  return 0;
}
