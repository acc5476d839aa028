// POSIX timers through the raw system calls: timer_create (SIGEV_SIGNAL,
// the NULL default of SIGALRM with the id as si_value, SIGEV_NONE,
// SIGEV_THREAD_ID; CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME,
// CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID), timer_settime
// (relative, absolute, periodic, disarming, the old setting),
// timer_gettime, timer_getoverrun and si_overrun of a periodic timer whose
// signal stayed pending, si_timerid, timer_delete; timers are not
// inherited by fork and are deleted by execve; and the errors EINVAL,
// EOPNOTSUPP and EFAULT.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static int tsig;  // SIGRTMIN + 1, blocked throughout

static long ktimer_create(int clock, struct sigevent* ev, int* id) {
  return syscall(SYS_timer_create, clock, ev, id);
}
static long ktimer_settime(int id, int flags, const struct itimerspec* v, struct itimerspec* old) {
  return syscall(SYS_timer_settime, id, flags, v, old);
}
static long ktimer_gettime(int id, struct itimerspec* v) {
  return syscall(SYS_timer_gettime, id, v);
}
static long ktimer_getoverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
static long ktimer_delete(int id) { return syscall(SYS_timer_delete, id); }

static long long ns_of(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }
static struct timespec ts_of(long long ns) {
  struct timespec t = {ns / 1000000000LL, ns % 1000000000LL};
  return t;
}
static struct itimerspec spec(long long value_ns, long long interval_ns) {
  struct itimerspec s = {ts_of(interval_ns), ts_of(value_ns)};
  return s;
}
static long long now_ns(clockid_t c) {
  struct timespec t;
  CHECK_OK(clock_gettime(c, &t));
  return ns_of(t);
}

static int make_timer(int clock, int notify, int sig, int value) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = notify;
  ev.sigev_signo = sig;
  ev.sigev_value.sival_int = value;
  int id = -1;
  CHECK_OK(ktimer_create(clock, &ev, &id));
  CHECK(id >= 0);
  return id;
}

// Waits (at most 5 s) for `sig` and returns its siginfo.
static siginfo_t wait_sig(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  struct timespec limit = {5, 0};
  siginfo_t info;
  memset(&info, 0, sizeof info);
  CHECK_EQ(sigtimedwait(&s, &info, &limit), sig);
  return info;
}

// Takes whatever instances of `sig` are pending (Linux 6.13 and later drop
// a deleted timer's pending signal instead of delivering it).
static void drain(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&s, NULL, &zero) == sig) {
  }
}

static int is_pending(int sig) {
  sigset_t p;
  CHECK_OK(sigpending(&p));
  return sigismember(&p, sig);
}

static void one_shot(void) {
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, tsig, 0x1234);
  struct itimerspec cur;
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK_EQ(ns_of(cur.it_interval), 0);
  struct itimerspec s = spec(20 * 1000000LL, 0), old;
  long long start = now_ns(CLOCK_MONOTONIC);
  CHECK_OK(ktimer_settime(id, 0, &s, &old));
  CHECK_EQ(ns_of(old.it_value), 0);
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 20 * 1000000LL);
  siginfo_t info = wait_sig(tsig);
  CHECK(now_ns(CLOCK_MONOTONIC) - start >= 20 * 1000000LL);
  CHECK_EQ(info.si_signo, tsig);
  CHECK_EQ(info.si_code, SI_TIMER);
  CHECK_EQ(info.si_timerid, id);
  CHECK_EQ(info.si_overrun, 0);
  CHECK_EQ(info.si_value.sival_int, 0x1234);
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK_EQ(ktimer_getoverrun(id), 0);
  // Re-armed, then disarmed before it fires (the old setting is returned).
  s = spec(10LL * 1000000000LL, 1000000000LL);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 9LL * 1000000000LL);
  CHECK_EQ(ns_of(cur.it_interval), 1000000000LL);
  struct itimerspec off = spec(0, 5000000);
  CHECK_OK(ktimer_settime(id, 0, &off, &old));
  CHECK(ns_of(old.it_value) > 9LL * 1000000000LL);
  CHECK_EQ(ns_of(old.it_interval), 1000000000LL);
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK_EQ(ns_of(cur.it_interval), 0);
  CHECK_OK(ktimer_delete(id));
  CHECK_ERR(ktimer_delete(id), EINVAL);
  CHECK_ERR(ktimer_gettime(id, &cur), EINVAL);
}

static void default_event(void) {
  int id = -1;
  CHECK_OK(ktimer_create(CLOCK_REALTIME, NULL, &id));
  struct itimerspec s = spec(5 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  siginfo_t info = wait_sig(SIGALRM);
  CHECK_EQ(info.si_code, SI_TIMER);
  CHECK_EQ(info.si_timerid, id);
  CHECK_EQ(info.si_value.sival_int, id);
  CHECK_OK(ktimer_delete(id));
}

static void periodic_overrun(void) {
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, tsig, 7);
  struct itimerspec s = spec(5 * 1000000LL, 5 * 1000000LL);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  // The first expiry's signal stays pending; later periods are overruns.
  struct timespec d = {0, 150 * 1000000L};
  nanosleep(&d, NULL);
  CHECK(is_pending(tsig));
  struct itimerspec cur;
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 5 * 1000000LL);
  CHECK_EQ(ns_of(cur.it_interval), 5 * 1000000LL);
  siginfo_t info = wait_sig(tsig);
  CHECK_EQ(info.si_timerid, id);
  CHECK(info.si_overrun >= 10);
  CHECK(info.si_overrun < 100000);
  CHECK_EQ(ktimer_getoverrun(id), info.si_overrun);
  // It runs on: the next period comes soon.
  info = wait_sig(tsig);
  CHECK_EQ(info.si_code, SI_TIMER);
  CHECK_EQ(ktimer_getoverrun(id), info.si_overrun);
  CHECK_OK(ktimer_delete(id));
  drain(tsig);
}

static void absolute(void) {
  int id = make_timer(CLOCK_REALTIME, SIGEV_SIGNAL, tsig, 1);
  struct itimerspec s = spec(now_ns(CLOCK_REALTIME) + 30 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &s, NULL));
  CHECK(!is_pending(tsig));
  siginfo_t info = wait_sig(tsig);
  CHECK_EQ(info.si_timerid, id);
  // A time in the past: due at once.
  s = spec(now_ns(CLOCK_REALTIME) - 1000000000LL, 0);
  CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &s, NULL));
  wait_sig(tsig);
  CHECK_OK(ktimer_delete(id));
  id = make_timer(CLOCK_BOOTTIME, SIGEV_SIGNAL, tsig, 2);
  s = spec(now_ns(CLOCK_BOOTTIME) + 10 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &s, NULL));
  info = wait_sig(tsig);
  CHECK_EQ(info.si_value.sival_int, 2);
  CHECK_OK(ktimer_delete(id));
}

static void sigev_none(void) {
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
  struct itimerspec s = spec(30 * 1000000LL, 0), cur;
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 0);
  struct timespec d = {0, 60 * 1000000L};
  nanosleep(&d, NULL);
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK_EQ(ns_of(cur.it_value), 0);
  CHECK(!is_pending(tsig));
  // Periodic: the time to the next period.
  s = spec(10 * 1000000LL, 10 * 1000000LL);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  nanosleep(&d, NULL);
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 10 * 1000000LL);
  CHECK_OK(ktimer_delete(id));
}

static pid_t worker_tid;
static siginfo_t worker_info;
static void* worker(void* arg) {
  (void)arg;
  __atomic_store_n(&worker_tid, gettid(), __ATOMIC_RELEASE);
  worker_info = wait_sig(tsig);
  return NULL;
}

static void thread_id(void) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
  while (__atomic_load_n(&worker_tid, __ATOMIC_ACQUIRE) == 0) {
    struct timespec d = {0, 1000000L};
    nanosleep(&d, NULL);
  }
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = tsig;
  ev.sigev_value.sival_int = 55;
  ev._sigev_un._tid = worker_tid;
  int id = -1;
  CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
  struct itimerspec s = spec(10 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(worker_info.si_code, SI_TIMER);
  CHECK_EQ(worker_info.si_timerid, id);
  CHECK_EQ(worker_info.si_value.sival_int, 55);
  CHECK_OK(ktimer_delete(id));
  // A thread that is not ours (or gone) is EINVAL.
  ev._sigev_un._tid = 1;
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev._sigev_un._tid = 0x3fffffff;
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
}

// Uses the CPU (at most 10 s) until `sig` is pending.
static void spin_until_pending(int sig) {
  long long start = now_ns(CLOCK_MONOTONIC);
  volatile unsigned long spin = 0;
  while (!is_pending(sig)) {
    for (int i = 0; i < 100000; ++i) spin = spin + (unsigned long)i;
    CHECK(now_ns(CLOCK_MONOTONIC) - start < 10LL * 1000000000LL);
  }
}

static void cpu_clock(void) {
  int id = make_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, tsig, 3);
  struct itimerspec s = spec(20 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  spin_until_pending(tsig);
  siginfo_t info = wait_sig(tsig);
  CHECK_EQ(info.si_timerid, id);
  CHECK_EQ(info.si_value.sival_int, 3);
  CHECK_OK(ktimer_delete(id));
}

// Linux's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED).
static clockid_t thread_cpuclock(pid_t tid) { return (clockid_t)((~(unsigned)tid << 3) | 6u); }

// A timer on the creating thread's CPU clock: it does not run while the
// thread sleeps, and fires once the thread has spent the time.
static void thread_cpu_clock(void) {
  int id = make_timer(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, tsig, 4);
  struct itimerspec s = spec(20 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  struct timespec d = {0, 100 * 1000000L};
  nanosleep(&d, NULL);
  CHECK(!is_pending(tsig));
  struct itimerspec cur;
  CHECK_OK(ktimer_gettime(id, &cur));
  CHECK(ns_of(cur.it_value) > 5 * 1000000LL);  // barely run while asleep
  spin_until_pending(tsig);
  siginfo_t info = wait_sig(tsig);
  CHECK_EQ(info.si_timerid, id);
  CHECK_EQ(info.si_value.sival_int, 4);
  CHECK_OK(ktimer_delete(id));
  // The same clocks by their encoded ids (what glibc's timer_create and
  // pthread_getcpuclockid use): readable, and timers on them work.
  clockid_t thread_clock, process_clock;
  CHECK_EQ(pthread_getcpuclockid(pthread_self(), &thread_clock), 0);
  CHECK_EQ(clock_getcpuclockid(getpid(), &process_clock), 0);
  CHECK(thread_clock < 0 && process_clock < 0);
  CHECK(now_ns(thread_clock) > 0);
  CHECK(now_ns(process_clock) >= now_ns(thread_clock) - 1000000LL);
  id = make_timer(thread_clock, SIGEV_SIGNAL, tsig, 5);
  s = spec(10 * 1000000LL, 0);
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  spin_until_pending(tsig);
  CHECK_EQ(wait_sig(tsig).si_value.sival_int, 5);
  CHECK_OK(ktimer_delete(id));
  id = make_timer(process_clock, SIGEV_SIGNAL, tsig, 6);
  CHECK_OK(ktimer_delete(id));
  // A thread's CPU clock cannot be slept on; a clock of no task is EINVAL;
  // kind 3 is no kind.
  struct timespec shortly = {0, 1000};
  CHECK_EQ(clock_nanosleep(thread_clock, 0, &shortly, NULL), EINVAL);
  struct timespec t;
  CHECK_ERR(clock_gettime(thread_cpuclock(0x3ffffff0), &t), EINVAL);
  CHECK_ERR(clock_gettime((clockid_t)(process_clock | 3), &t), EINVAL);
  int bad = -1;
  CHECK_ERR(ktimer_create(thread_cpuclock(1), NULL, &bad), EINVAL);
}

static void errors(void) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = tsig;
  int id = -1;
  CHECK_ERR(ktimer_create(100, &ev, &id), EINVAL);
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC_RAW, &ev, &id), EOPNOTSUPP);
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC_COARSE, &ev, &id), EOPNOTSUPP);
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, (struct sigevent*)1, &id), EFAULT);
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, (int*)1), EFAULT);
  ev.sigev_notify = 99;
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = 0;
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.sigev_signo = 65;
  CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.sigev_notify = SIGEV_NONE;  // needs no signal
  CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
  struct itimerspec s = spec(1000000, 0), cur;
  CHECK_ERR(ktimer_settime(id, 0, NULL, NULL), EINVAL);
  CHECK_ERR(ktimer_settime(id, 0, (struct itimerspec*)1, NULL), EFAULT);
  struct itimerspec bad = s;
  bad.it_value.tv_nsec = 1000000000;
  CHECK_ERR(ktimer_settime(id, 0, &bad, NULL), EINVAL);
  bad = s;
  bad.it_interval.tv_nsec = -1;
  CHECK_ERR(ktimer_settime(id, 0, &bad, NULL), EINVAL);
  bad = s;
  bad.it_value.tv_sec = -1;
  CHECK_ERR(ktimer_settime(id, 0, &bad, NULL), EINVAL);
  CHECK_ERR(ktimer_settime(id + 1000, 0, &s, NULL), EINVAL);
  CHECK_ERR(ktimer_settime(-1, 0, &s, NULL), EINVAL);
  CHECK_ERR(ktimer_settime(id, 0, &s, (struct itimerspec*)1), EFAULT);
  CHECK_ERR(ktimer_gettime(id, (struct itimerspec*)1), EFAULT);
  CHECK_ERR(ktimer_gettime(id + 1000, &cur), EINVAL);
  CHECK_ERR(ktimer_getoverrun(id + 1000), EINVAL);
  CHECK_ERR(ktimer_delete(id + 1000), EINVAL);
  CHECK_OK(ktimer_delete(id));
}

// Timers stay with their process: a child has none, execve deletes them.
static void fork_exec(const char* self) {
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, tsig, 0);
  struct itimerspec s = spec(1000000, 1000000), cur;
  CHECK_OK(ktimer_settime(id, 0, &s, NULL));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    if (ktimer_gettime(id, &cur) != -1 || errno != EINVAL) _exit(2);
    // A child exiting with armed timers of its own.
    int mine = -1;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = tsig;
    if (ktimer_create(CLOCK_MONOTONIC, &ev, &mine) != 0) _exit(3);
    if (ktimer_settime(mine, 0, &s, NULL) != 0) _exit(4);
    char arg[16];
    snprintf(arg, sizeof arg, "%d", mine);
    char* argv[] = {(char*)self, "exec-check", arg, NULL};
    execv(self, argv);
    _exit(5);
  }
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  CHECK_OK(ktimer_delete(id));
  drain(tsig);
}

int main(int argc, char** argv) {
  tsig = SIGRTMIN + 1;
  if (argc == 3 && strcmp(argv[1], "exec-check") == 0) {
    struct itimerspec cur;
    CHECK_ERR(ktimer_gettime(atoi(argv[2]), &cur), EINVAL);
    return 0;
  }
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, tsig);
  sigaddset(&block, SIGALRM);
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  one_shot();
  default_event();
  periodic_overrun();
  absolute();
  sigev_none();
  thread_id();
  cpu_clock();
  thread_cpu_clock();
  errors();
  fork_exec(argv[0]);
  printf("posix_timer: ok\n");
  return 0;
}
