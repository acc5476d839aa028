// PI futexes: FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI on raw
// words (the owner's tid, FUTEX_WAITERS on a hand-over, FUTEX_OWNER_DIED
// kept), their errors (EDEADLK, ESRCH, EPERM, EAGAIN, ETIMEDOUT, ENOSYS),
// and glibc's priority-inheritance mutexes: contended counting, and a
// robust one whose owner thread exits (EOWNERDEAD).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static long futex(void* addr, int op, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, 0, ts, NULL, 0);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static _Atomic uint32_t word;
static _Atomic int holder_state;  // 1: holds the lock, 2: told to release, 3: released

static void* holder(void* arg) {
  (void)arg;
  CHECK_OK(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL));
  atomic_store(&holder_state, 1);
  while (atomic_load(&holder_state) != 2) sched_yield();
  sleep_ms(100);  // the main thread sleeps in FUTEX_LOCK_PI by now
  CHECK_OK(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL));
  atomic_store(&holder_state, 3);
  return NULL;
}

static void raw_words(void) {
  uint32_t tid = (uint32_t)gettid();
  atomic_store(&word, 0);
  CHECK_OK(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), tid);
  CHECK_ERR(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL), EDEADLK);
  CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI_PRIVATE, NULL), EDEADLK);
  CHECK_OK(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), 0);
  CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL), EPERM);
  CHECK_OK(futex(&word, FUTEX_TRYLOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), tid);
  CHECK_OK(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL));
  // A word naming no thread; a word whose owner died (the bit stays).
  atomic_store(&word, 0x3ffffff0);
  CHECK_ERR(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL), ESRCH);
  CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI_PRIVATE, NULL), ESRCH);
  CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL), EPERM);
  atomic_store(&word, FUTEX_OWNER_DIED);
  CHECK_OK(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), tid | FUTEX_OWNER_DIED);
  CHECK_OK(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), 0);
  // Errors of the call itself.
  CHECK_ERR(futex((char*)&word + 1, FUTEX_LOCK_PI_PRIVATE, NULL), EINVAL);
  CHECK_ERR(futex(NULL, FUTEX_LOCK_PI_PRIVATE, NULL), EFAULT);
  CHECK_ERR(futex(&word, FUTEX_LOCK_PI_PRIVATE | FUTEX_CLOCK_REALTIME, NULL), ENOSYS);
}

static void contended(void) {
  uint32_t tid = (uint32_t)gettid();
  atomic_store(&word, 0);
  atomic_store(&holder_state, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, holder, NULL) == 0);
  while (atomic_load(&holder_state) != 1) sched_yield();
  // Held by another thread: trylock fails, a timed lock times out (the
  // FUTEX_LOCK_PI timeout is an absolute CLOCK_REALTIME time).
  CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI_PRIVATE, NULL), EAGAIN);
  struct timespec past = {1, 0};
  CHECK_ERR(futex(&word, FUTEX_LOCK_PI_PRIVATE, &past), ETIMEDOUT);
  CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL), EPERM);
  atomic_store(&holder_state, 2);
  CHECK_OK(futex(&word, FUTEX_LOCK_PI_PRIVATE, NULL));  // sleeps until the hand-over
  CHECK_EQ(atomic_load(&word), tid | FUTEX_WAITERS);
  CHECK_OK(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, NULL));
  CHECK_EQ(atomic_load(&word), 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(atomic_load(&holder_state), 3);
}

static pthread_mutex_t pi_mutex;
static long counter;

static void* count_up(void* arg) {
  (void)arg;
  for (int i = 0; i < 500; ++i) {
    CHECK(pthread_mutex_lock(&pi_mutex) == 0);
    long c = counter;
    if (i % 50 == 0) sched_yield();
    counter = c + 1;
    CHECK(pthread_mutex_unlock(&pi_mutex) == 0);
  }
  return NULL;
}

static void glibc_pi_mutex(void) {
  pthread_mutexattr_t a;
  CHECK(pthread_mutexattr_init(&a) == 0);
  CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
  CHECK(pthread_mutex_init(&pi_mutex, &a) == 0);
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) CHECK(pthread_create(&t[i], NULL, count_up, NULL) == 0);
  for (int i = 0; i < 4; ++i) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK_EQ(counter, 2000);
  CHECK(pthread_mutex_trylock(&pi_mutex) == 0);
  CHECK(pthread_mutex_unlock(&pi_mutex) == 0);
  CHECK(pthread_mutex_destroy(&pi_mutex) == 0);
}

static pthread_mutex_t robust_pi;
static _Atomic int robust_locked;

static void* lock_and_exit(void* arg) {
  (void)arg;
  CHECK(pthread_mutex_lock(&robust_pi) == 0);
  atomic_store(&robust_locked, 1);
  sleep_ms(100);
  return NULL;  // exits holding it
}

static void robust_pi_owner_dies(void) {
  pthread_mutexattr_t a;
  CHECK(pthread_mutexattr_init(&a) == 0);
  CHECK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) == 0);
  CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0);
  CHECK(pthread_mutex_init(&robust_pi, &a) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, lock_and_exit, NULL) == 0);
  while (atomic_load(&robust_locked) == 0) sched_yield();
  CHECK_EQ(pthread_mutex_lock(&robust_pi), EOWNERDEAD);
  CHECK_EQ(pthread_mutex_consistent(&robust_pi), 0);
  CHECK_EQ(pthread_mutex_unlock(&robust_pi), 0);
  CHECK(pthread_join(t, NULL) == 0);
}

int main(void) {
  raw_words();
  contended();
  glibc_pi_mutex();
  robust_pi_owner_dies();
  return 0;
}
