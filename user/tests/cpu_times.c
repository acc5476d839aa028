// CPU time accounting: getrusage (self, thread, children), times and wait4's
// rusage grow with work done in user mode and in the kernel, and a reaped
// child's time moves to its parent's children totals; ITIMER_VIRTUAL and
// ITIMER_PROF fire after that much CPU time.
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static double secs(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

// Spins in user mode for about `s` seconds of wall time.
static void burn_user(double s) {
  volatile unsigned long x = 0;
  double end = now() + s;
  while (now() < end) {
    for (int i = 0; i < 100000; ++i) x += i;
  }
}

// Spends about `s` seconds in system calls.
static void burn_kernel(double s) {
  double end = now() + s;
  while (now() < end) {
    for (int i = 0; i < 200; ++i) syscall(SYS_getppid);
  }
}

static volatile sig_atomic_t fired;
static void on_timer(int sig) { fired = sig; }

// Arms the CPU-time timer `which` for 50 ms and burns CPU until it fires.
static void check_cpu_timer(int which, int sig, void (*burn)(double)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer;
  CHECK_OK(sigaction(sig, &sa, NULL));
  fired = 0;
  struct itimerval v = {{0, 0}, {0, 50 * 1000}};
  CHECK_OK(setitimer(which, &v, NULL));
  struct itimerval cur;
  CHECK_OK(getitimer(which, &cur));
  // (Linux rounds the value up to its tick: 54 ms at HZ=250.)
  CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 60000);
  double give_up = now() + 20.0;
  while (!fired && now() < give_up) burn(0.01);
  CHECK_EQ(fired, sig);
  CHECK_OK(getitimer(which, &cur));  // one-shot: disarmed after firing
  CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
}

int main(void) {
  check_cpu_timer(ITIMER_VIRTUAL, SIGVTALRM, burn_user);
  check_cpu_timer(ITIMER_PROF, SIGPROF, burn_kernel);
  // Disarming returns what was left.
  struct itimerval v = {{0, 0}, {100, 0}}, old;
  CHECK_OK(setitimer(ITIMER_PROF, &v, NULL));
  struct itimerval zero = {{0, 0}, {0, 0}};
  CHECK_OK(setitimer(ITIMER_PROF, &zero, &old));
  CHECK(old.it_value.tv_sec > 90 && old.it_value.tv_sec <= 100);

  struct rusage before, after;
  CHECK_OK(getrusage(RUSAGE_SELF, &before));
  burn_user(0.3);
  burn_kernel(0.3);
  CHECK_OK(getrusage(RUSAGE_SELF, &after));
  double user = secs(after.ru_utime) - secs(before.ru_utime);
  double sys = secs(after.ru_stime) - secs(before.ru_stime);
  // Generous bounds: the machine may be shared, but some of each must show.
  CHECK(user > 0.05);
  CHECK(sys > 0.02);
  CHECK(user + sys < 5.0);
  CHECK(after.ru_utime.tv_usec >= 0 && after.ru_utime.tv_usec < 1000000);
  struct rusage thread;
  CHECK_OK(getrusage(RUSAGE_THREAD, &thread));
  CHECK(secs(thread.ru_utime) + secs(thread.ru_stime) > 0.1);
  struct tms tms;
  CHECK(times(&tms) != (clock_t)-1);
  CHECK(tms.tms_utime >= 5);  // clock ticks (100 Hz)
  CHECK_EQ(tms.tms_cutime, 0);
  // A child's work shows in wait4's rusage and then in RUSAGE_CHILDREN.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    burn_user(0.3);
    _exit(0);
  }
  int status;
  struct rusage child;
  CHECK_EQ(wait4(pid, &status, 0, &child), pid);
  CHECK(WIFEXITED(status));
  CHECK(secs(child.ru_utime) > 0.05);
  struct rusage children;
  CHECK_OK(getrusage(RUSAGE_CHILDREN, &children));
  CHECK(secs(children.ru_utime) >= secs(child.ru_utime) - 0.011);
  CHECK(times(&tms) != (clock_t)-1);
  CHECK(tms.tms_cutime >= 5);
  CHECK_ERR(getrusage(5, &after), EINVAL);
  CHECK_ERR(getrusage(RUSAGE_SELF, (struct rusage*)8), EFAULT);
  return 0;
}
