// Requeue-PI futexes: FUTEX_WAIT_REQUEUE_PI (sleep on a plain word, wake
// owning a PI lock) and FUTEX_CMP_REQUEUE_PI (take the lock for the first
// waiter or move waiters onto it), as a condition variable with a PI mutex
// uses them: the lock taken for a waiter when free, waiters moved behind a
// held lock and handed it in turn, a signal before the requeue restarting
// the wait (even without SA_RESTART) and one after it ending it with
// EAGAIN, timeouts, and the errors (EINVAL for mismatched operations and
// targets, EAGAIN, EDEADLK, ESRCH, EFAULT), also those of FUTEX_WAKE and
// FUTEX_REQUEUE meeting a requeue-PI waiter.
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static long futex6(void* uaddr, int op, uint32_t val, long val2_or_ts, void* uaddr2,
                   uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, val2_or_ts, uaddr2, val3);
}

// FUTEX_WAIT_REQUEUE_PI on `f1` (expected `val`) bound for `f2`.
static long wait_requeue_pi(_Atomic uint32_t* f1, uint32_t val, _Atomic uint32_t* f2,
                            const struct timespec* abs, int flags) {
  return futex6(f1, FUTEX_WAIT_REQUEUE_PI | flags, val, (long)abs, f2, 0);
}

// FUTEX_CMP_REQUEUE_PI from `f1` (compared with `cmp`) to `f2`.
static long cmp_requeue_pi(_Atomic uint32_t* f1, int nr_wake, int nr_requeue, _Atomic uint32_t* f2,
                           uint32_t cmp) {
  return futex6(f1, FUTEX_CMP_REQUEUE_PI_PRIVATE, (uint32_t)nr_wake, nr_requeue, f2, cmp);
}

static long lock_pi(_Atomic uint32_t* f) { return futex6(f, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0); }
static long unlock_pi(_Atomic uint32_t* f) {
  return futex6(f, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static struct timespec after_ms(clockid_t clock, long ms) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static _Atomic uint32_t f1, f2, f3;

// A waiter: waits on f1 for f2, records its result, and if it got f2,
// checks the word names it and unlocks it.
struct waiter {
  pthread_t thread;
  _Atomic int started;
  _Atomic int done;
  long ret;
  int err;
  uint32_t word_after;  // f2 as the waiter saw it on return
};

static void* waiter_main(void* arg) {
  struct waiter* w = arg;
  uint32_t val = atomic_load(&f1);
  atomic_store(&w->started, 1);
  errno = 0;
  w->ret = wait_requeue_pi(&f1, val, &f2, NULL, FUTEX_PRIVATE_FLAG);
  w->err = errno;
  w->word_after = atomic_load(&f2);
  if (w->ret == 0) {
    CHECK_EQ(w->word_after & FUTEX_TID_MASK, (uint32_t)gettid());
    CHECK_OK(unlock_pi(&f2));
  }
  atomic_store(&w->done, 1);
  return NULL;
}

static void start_waiter(struct waiter* w) {
  atomic_store(&w->started, 0);
  atomic_store(&w->done, 0);
  CHECK(pthread_create(&w->thread, NULL, waiter_main, w) == 0);
  while (!atomic_load(&w->started)) sched_yield();
  sleep_ms(50);  // asleep in the kernel by now
}

// Errors that need no second thread.
static void errors(void) {
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  struct timespec ts = after_ms(CLOCK_MONOTONIC, 10);
  // The same word twice; a wrong expected value; misaligned; unmapped.
  CHECK_ERR(wait_requeue_pi(&f1, 0, &f1, &ts, FUTEX_PRIVATE_FLAG), EINVAL);
  CHECK_ERR(wait_requeue_pi(&f1, 1, &f2, &ts, FUTEX_PRIVATE_FLAG), EAGAIN);
  CHECK_ERR(futex6((char*)&f1 + 1, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, (long)&ts, &f2, 0), EINVAL);
  CHECK_ERR(futex6(&f1, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, (long)&ts, (char*)&f2 + 2, 0), EINVAL);
  CHECK_ERR(futex6(NULL, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, (long)&ts, &f2, 0), EFAULT);
  // Timeouts: absolute CLOCK_MONOTONIC, or CLOCK_REALTIME with the flag.
  ts = after_ms(CLOCK_MONOTONIC, 20);
  CHECK_ERR(wait_requeue_pi(&f1, 0, &f2, &ts, FUTEX_PRIVATE_FLAG), ETIMEDOUT);
  ts = after_ms(CLOCK_REALTIME, 20);
  CHECK_ERR(wait_requeue_pi(&f1, 0, &f2, &ts, FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME),
            ETIMEDOUT);
  struct timespec bad = {0, 1000000000L};
  CHECK_ERR(wait_requeue_pi(&f1, 0, &f2, &bad, FUTEX_PRIVATE_FLAG), EINVAL);
  // The requeue's own checks: nr_wake must be 1, counts non-negative, the
  // words distinct, the compared value current.
  CHECK_ERR(cmp_requeue_pi(&f1, 0, 0, &f2, 0), EINVAL);
  CHECK_ERR(cmp_requeue_pi(&f1, 2, 0, &f2, 0), EINVAL);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, -1, &f2, 0), EINVAL);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f1, 0), EINVAL);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f2, 1), EAGAIN);
  CHECK_ERR(futex6(NULL, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &f2, 0), EFAULT);
  // The PI word is read after the compare, waiters or not.
  CHECK_ERR(futex6(&f1, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, NULL, 1), EAGAIN);
  CHECK_ERR(futex6(&f1, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, NULL, 0), EFAULT);
  // Nobody waits: nothing to do.
  CHECK_EQ(cmp_requeue_pi(&f1, 1, INT_MAX, &f2, 0), 0);
  CHECK_EQ(atomic_load(&f2), 0);
}

// The lock is free: the requeue takes it for the first waiter and wakes it.
static void uncontended(void) {
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  struct waiter w;
  start_waiter(&w);
  // Not for FUTEX_WAKE, FUTEX_REQUEUE or FUTEX_WAKE_OP: only requeue-PI may
  // wake such a waiter (EINVAL), and it stays asleep.
  CHECK_ERR(futex6(&f1, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), EINVAL);
  CHECK_ERR(futex6(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, 1, &f3, 0), EINVAL);
  CHECK_ERR(futex6(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 0, &f3, 0), EINVAL);
  // Nor for a requeue to another PI word than the one it waits for.
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f3, 0), EINVAL);
  CHECK_EQ(atomic_load(&w.done), 0);
  CHECK_EQ(cmp_requeue_pi(&f1, 1, 0, &f2, 0), 1);
  CHECK(pthread_join(w.thread, NULL) == 0);
  CHECK_EQ(w.ret, 0);
  // Taken for it with no FUTEX_WAITERS: nothing else was to be requeued.
  CHECK_EQ(w.word_after & ~(uint32_t)FUTEX_TID_MASK, 0);
  CHECK_EQ(atomic_load(&f2), 0);
}

// The lock is held: every waiter is moved behind it and each gets it in
// turn as the one before unlocks.
static void contended(void) {
  enum { kWaiters = 3 };
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  uint32_t me = (uint32_t)gettid();
  CHECK_OK(lock_pi(&f2));
  struct waiter w[kWaiters];
  for (int i = 0; i < kWaiters; ++i) start_waiter(&w[i]);
  // The lock is ours, so none can take it: all three move behind it.
  CHECK_EQ(cmp_requeue_pi(&f1, 1, INT_MAX, &f2, 0), kWaiters);
  CHECK_EQ(atomic_load(&f2), me | FUTEX_WAITERS);
  // Nobody is left on f1.
  CHECK_EQ(cmp_requeue_pi(&f1, 1, INT_MAX, &f2, 0), 0);
  for (int i = 0; i < kWaiters; ++i) CHECK_EQ(atomic_load(&w[i].done), 0);
  CHECK_OK(unlock_pi(&f2));
  for (int i = 0; i < kWaiters; ++i) {
    CHECK(pthread_join(w[i].thread, NULL) == 0);
    CHECK_EQ(w[i].ret, 0);
  }
  CHECK_EQ(atomic_load(&f2), 0);
}

// With the lock free and more waiters than one: the first gets it (with
// FUTEX_WAITERS, as others are moved behind it), nr_requeue more move.
static void wake_one_requeue_rest(void) {
  enum { kWaiters = 3 };
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  struct waiter w[kWaiters];
  for (int i = 0; i < kWaiters; ++i) start_waiter(&w[i]);
  // One taken for, one moved: the third stays on f1.
  CHECK_EQ(cmp_requeue_pi(&f1, 1, 1, &f2, 0), 2);
  // The first returns and unlocks, handing it to the second, which returns.
  int done = 0;
  for (int tries = 0; tries < 500 && done < 2; ++tries) {
    sleep_ms(10);
    done = 0;
    for (int i = 0; i < kWaiters; ++i) done += atomic_load(&w[i].done);
  }
  CHECK_EQ(done, 2);
  sleep_ms(50);
  done = 0;
  for (int i = 0; i < kWaiters; ++i) done += atomic_load(&w[i].done);
  CHECK_EQ(done, 2);
  CHECK_EQ(cmp_requeue_pi(&f1, 1, 1, &f2, 0), 1);
  for (int i = 0; i < kWaiters; ++i) {
    CHECK(pthread_join(w[i].thread, NULL) == 0);
    CHECK_EQ(w[i].ret, 0);
  }
  CHECK_EQ(atomic_load(&f2), 0);
}

// A waiter whose first waiter owns the PI word already: EDEADLK.
static _Atomic int owner_state;
static void* own_then_wait(void* arg) {
  (void)arg;
  CHECK_OK(lock_pi(&f2));
  uint32_t val = atomic_load(&f1);
  atomic_store(&owner_state, 1);
  struct timespec ts = after_ms(CLOCK_MONOTONIC, 300);
  CHECK_ERR(wait_requeue_pi(&f1, val, &f2, &ts, FUTEX_PRIVATE_FLAG), ETIMEDOUT);
  CHECK_OK(unlock_pi(&f2));
  return NULL;
}

static void deadlock(void) {
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  atomic_store(&owner_state, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, own_then_wait, NULL) == 0);
  while (!atomic_load(&owner_state)) sched_yield();
  sleep_ms(50);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f2, 0), EDEADLK);
  CHECK(pthread_join(t, NULL) == 0);
}

// A PI word naming no thread: ESRCH, and the waiter stays on f1 until a
// requeue onto a free lock takes it for the waiter.
static void owner_missing(void) {
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  struct waiter w;
  start_waiter(&w);
  atomic_store(&f2, 0x3ffffff0);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f2, 0), ESRCH);
  CHECK_EQ(atomic_load(&w.done), 0);
  atomic_store(&f2, 0);
  CHECK_EQ(cmp_requeue_pi(&f1, 1, 0, &f2, 0), 1);
  CHECK(pthread_join(w.thread, NULL) == 0);
  CHECK_EQ(w.ret, 0);
  CHECK_EQ(atomic_load(&f2), 0);
}

// A plain FUTEX_WAIT waiter is not one to requeue onto a PI lock.
static void* plain_waiter(void* arg) {
  (void)arg;
  atomic_store(&owner_state, 1);
  CHECK_OK(futex6(&f1, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0));
  return NULL;
}

static void mismatched(void) {
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  atomic_store(&owner_state, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, plain_waiter, NULL) == 0);
  while (!atomic_load(&owner_state)) sched_yield();
  sleep_ms(50);
  CHECK_ERR(cmp_requeue_pi(&f1, 1, 0, &f2, 0), EINVAL);
  CHECK_EQ(atomic_load(&f2), 0);
  CHECK_EQ(futex6(&f1, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
  CHECK(pthread_join(t, NULL) == 0);
}

// Signals: before the requeue the wait restarts by itself (the handler has
// no SA_RESTART); after it, the call returns EAGAIN without the lock.
static _Atomic int handled;
static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
}

static void signals(void) {
  struct sigaction sa = {.sa_handler = on_usr1};
  sigemptyset(&sa.sa_mask);
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  atomic_store(&f1, 0);
  atomic_store(&f2, 0);
  atomic_store(&handled, 0);
  CHECK_OK(lock_pi(&f2));
  struct waiter w;
  start_waiter(&w);
  CHECK_OK(pthread_kill(w.thread, SIGUSR1));
  while (atomic_load(&handled) < 1) sched_yield();
  sleep_ms(50);
  CHECK_EQ(atomic_load(&w.done), 0);  // restarted, asleep on f1 again
  CHECK_EQ(cmp_requeue_pi(&f1, 1, 0, &f2, 0), 1);
  CHECK_OK(pthread_kill(w.thread, SIGUSR1));
  CHECK(pthread_join(w.thread, NULL) == 0);
  CHECK_EQ(w.ret, -1);
  CHECK_EQ(w.err, EAGAIN);
  CHECK_EQ(atomic_load(&handled), 2);
  // It left the lock's waiters: unlocking hands nothing over.
  CHECK_OK(unlock_pi(&f2));
  CHECK_EQ(atomic_load(&f2), 0);
}

int main(void) {
  errors();
  uncontended();
  contended();
  wake_one_requeue_rest();
  deadlock();
  owner_missing();
  mismatched();
  signals();
  return 0;
}
