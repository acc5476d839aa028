// Clocks: CLOCK_MONOTONIC never goes back and advances, CLOCK_REALTIME is
// after 2020 and agrees with gettimeofday and time(); the CPU-time clocks
// count CPU time; CLOCK_TAI; resolutions; EINVAL.
#include <time.h>

#include <sys/syscall.h>
#include <sys/time.h>

#include "user/lib/check.h"

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec a, b;
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
  long long prev = ns(a);
  for (int i = 0; i < 10000; ++i) {
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
    CHECK(ns(b) >= prev);
    CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
    prev = ns(b);
  }
  struct timespec nap = {0, 5 * 1000 * 1000};
  CHECK_OK(nanosleep(&nap, NULL));
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
  CHECK(ns(b) > ns(a));
  struct timespec rt;
  CHECK_OK(clock_gettime(CLOCK_REALTIME, &rt));
  CHECK(rt.tv_sec > 1577836800);  // 2020-01-01
  struct timeval tv;
  CHECK_OK(gettimeofday(&tv, NULL));
  CHECK(tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec < 5);
  CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  time_t t = time(NULL);
  // time() reads Linux's coarse clock, up to a tick behind CLOCK_REALTIME.
  CHECK(t - rt.tv_sec >= -1 && t - rt.tv_sec < 5);
  struct timespec res;
  CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res));
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
  CHECK_OK(clock_gettime(CLOCK_BOOTTIME, &b));
  // The CPU-time clocks count CPU time, not time: sleeping adds (almost)
  // nothing, spinning adds about what it spins.
  struct timespec cpu0, cpu1, thr0, thr1, wall0, wall1;
  CHECK_OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0));
  CHECK_OK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thr0));
  struct timespec long_nap = {0, 100 * 1000 * 1000};
  CHECK_OK(nanosleep(&long_nap, NULL));
  CHECK_OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1));
  CHECK(ns(cpu1) >= ns(cpu0) && ns(cpu1) - ns(cpu0) < 50000000LL);
  CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &wall0));
  do {
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &wall1));
  } while (ns(wall1) - ns(wall0) < 200000000LL);
  CHECK_OK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thr1));
  CHECK(ns(thr1) - ns(thr0) >= 50000000LL);
  CHECK(ns(thr1) - ns(thr0) <= ns(wall1) - ns(wall0) + 50000000LL);
  // CLOCK_TAI is CLOCK_REALTIME plus the TAI offset (0 until set; 37 s
  // where NTP set it).
  struct timespec tai;
  CHECK_OK(clock_gettime(CLOCK_REALTIME, &rt));
  CHECK_OK(clock_gettime(CLOCK_TAI, &tai));
  CHECK(tai.tv_sec - rt.tv_sec >= 0 && tai.tv_sec - rt.tv_sec <= 38);
  // Raw syscalls: bad clock id, bad pointer (glibc's vDSO path would crash).
  CHECK_ERR(syscall(SYS_clock_gettime, 12345, &b), EINVAL);
  CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void*)0x1000), EFAULT);
  return 0;
}
