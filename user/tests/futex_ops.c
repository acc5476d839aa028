// futex operations beyond WAIT/WAKE: FUTEX_WAKE_OP (each operation and
// comparison, the shift flag, waking on both words), FUTEX_CMP_REQUEUE and
// FUTEX_REQUEUE (waiters moved to the second word are woken there),
// FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET, absolute timeouts, and the errors:
// EAGAIN, EINVAL (negative counts, zero bitsets, bad timeouts), EFAULT and
// ENOSYS (unknown operations and comparisons, FUTEX_CLOCK_REALTIME on a wake).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static long futex6(void* addr, int op, uint32_t val, unsigned long val2, void* addr2,
                   uint32_t val3) {
  return syscall(SYS_futex, addr, op, val, val2, addr2, val3);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static _Atomic uint32_t w1, w2;
static _Atomic int arrived, woke;
static _Atomic uint32_t released;

// A waiter: sleeps on w1 (possibly moved to w2) until `released`.
static void* waiter(void* arg) {
  (void)arg;
  atomic_fetch_add(&arrived, 1);
  while (atomic_load(&released) == 0) {
    long r = futex6(&w1, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    CHECK(r == 0 || errno == EAGAIN || errno == EINTR);
    if (r == 0) break;
  }
  atomic_fetch_add(&woke, 1);
  return NULL;
}

static void start_waiters(pthread_t* t, int n) {
  atomic_store(&arrived, 0);
  atomic_store(&woke, 0);
  atomic_store(&released, 0);
  for (int i = 0; i < n; ++i) CHECK(pthread_create(&t[i], NULL, waiter, NULL) == 0);
  while (atomic_load(&arrived) < n) sched_yield();
  sleep_ms(150);  // every waiter is asleep in the kernel by now
}

static void join_all(pthread_t* t, int n) {
  atomic_store(&released, 1);
  for (int i = 0; i < n; ++i) CHECK(pthread_join(t[i], NULL) == 0);
}

static void requeue(void) {
  atomic_store(&w1, 0);
  atomic_store(&w2, 0);
  // Errors first: a value mismatch, negative counts, a misaligned word.
  CHECK_ERR(futex6(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 7), EAGAIN);
  CHECK_ERR(futex6(&w1, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &w2, 0), EINVAL);
  CHECK_ERR(futex6(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 0xffffffffUL, &w2, 0), EINVAL);
  CHECK_ERR(futex6(&w1, FUTEX_REQUEUE_PRIVATE, 1, 1, (char*)&w2 + 1, 0), EINVAL);
  CHECK_ERR(futex6(NULL, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 0), EFAULT);
  CHECK_EQ(futex6(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 0), 0);

  pthread_t t[3];
  start_waiters(t, 3);
  // Wake one, move the other two to w2: nobody is left on w1.
  CHECK_EQ(futex6(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &w2, 0), 3);
  while (atomic_load(&woke) < 1) sched_yield();
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0), 0);
  sleep_ms(50);
  CHECK_EQ(atomic_load(&woke), 1);
  CHECK_EQ(futex6(&w2, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0), 2);
  join_all(t, 3);

  // FUTEX_REQUEUE (no comparison): wake none, move all.
  start_waiters(t, 2);
  CHECK_EQ(futex6(&w1, FUTEX_REQUEUE_PRIVATE, 0, 10, &w2, 12345), 2);
  sleep_ms(50);
  CHECK_EQ(atomic_load(&woke), 0);
  CHECK_EQ(futex6(&w2, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
  CHECK_EQ(futex6(&w2, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
  join_all(t, 2);
}

#define OP(op, oparg, cmp, cmparg)                                                 \
  ((uint32_t)(((op) & 0xf) << 28 | ((cmp) & 0xf) << 24 | ((oparg) & 0xfff) << 12 | \
              ((cmparg) & 0xfff)))

static void wake_op(void) {
  atomic_store(&w1, 0);
  atomic_store(&w2, 0);
  // No waiters: the operation still happens.
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0)),
           0);
  CHECK_EQ(atomic_load(&w2), 5);
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_GT, 10)),
           0);
  CHECK_EQ(atomic_load(&w2), 7);
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2,
                  OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_NE, 0)),
           0);
  CHECK_EQ(atomic_load(&w2), 7 | 16);
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_ANDN, 3, FUTEX_OP_CMP_LT, 0)),
           0);
  CHECK_EQ(atomic_load(&w2), 4 | 16);
  CHECK_EQ(
      futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_XOR, 0xfff, FUTEX_OP_CMP_GE, 0)),
      0);
  // oparg is a signed 12-bit field: 0xfff is -1, so the word is inverted.
  CHECK_EQ(atomic_load(&w2), ~(uint32_t)(4 | 16));
  CHECK_ERR(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(6, 0, FUTEX_OP_CMP_EQ, 0)), ENOSYS);
  CHECK_ERR(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_SET, 0, 6, 0)), ENOSYS);
  CHECK_ERR(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, NULL, OP(FUTEX_OP_SET, 0, 0, 0)), EFAULT);
  // A private wake only hashes the address, but it must be a user one
  // (access_ok; bad_pointer_sweep found Keel waking nobody at a kernel address).
  CHECK_EQ(futex6(NULL, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 0);
  CHECK_ERR(futex6((void*)(uintptr_t)0xffffffff81000000ull, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0),
            EFAULT);
  CHECK_ERR(futex6((void*)(uintptr_t)0x0000800000000000ull, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0),
            EFAULT);
  CHECK_ERR(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (char*)&w2 + 2, 0), EINVAL);

  // Waiters on w1 (two of them): wake one on w1; the comparison (old w2 ==
  // 0) passes, and w2 has no waiter.
  atomic_store(&w2, 0);
  pthread_t t[2];
  start_waiters(t, 2);
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
           1);
  CHECK_EQ(atomic_load(&w2), 1);
  // Move the remaining waiter to w2, then wake it there through the
  // comparison branch (old w2 == 1 passes CMP_EQ 1).
  CHECK_EQ(futex6(&w1, FUTEX_REQUEUE_PRIVATE, 0, 1, &w2, 0), 1);
  CHECK_EQ(futex6(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, OP(FUTEX_OP_SET, 2, FUTEX_OP_CMP_EQ, 1)),
           1);
  join_all(t, 2);
  CHECK_EQ(atomic_load(&woke), 2);
}

static _Atomic uint32_t bw;
static _Atomic int bw_ready;

static void* bitset_waiter(void* arg) {
  (void)arg;
  atomic_store(&bw_ready, 1);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += 5;
  long r = futex6(&bw, FUTEX_WAIT_BITSET_PRIVATE, 0, (unsigned long)&ts, NULL, 0x2);
  return (void*)(r == 0 ? 0L : 1L);
}

static void bitsets(void) {
  atomic_store(&bw, 0);
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, 0), EINVAL);
  CHECK_ERR(futex6(&bw, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0), EINVAL);
  // Absolute timeouts: in the past on CLOCK_MONOTONIC and CLOCK_REALTIME.
  struct timespec past = {0, 1};
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_BITSET_PRIVATE, 0, (unsigned long)&past, NULL, ~0u), ETIMEDOUT);
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (unsigned long)&past,
                   NULL, ~0u),
            ETIMEDOUT);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 20 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_nsec -= 1000000000;
    now.tv_sec += 1;
  }
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_BITSET_PRIVATE, 0, (unsigned long)&now, NULL, ~0u), ETIMEDOUT);
  struct timespec bad = {0, 1000000000};
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_PRIVATE, 0, (unsigned long)&bad, NULL, 0), EINVAL);
  struct timespec neg = {-1, 0};
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_PRIVATE, 0, (unsigned long)&neg, NULL, 0), EINVAL);
  CHECK_ERR(futex6(&bw, FUTEX_WAIT_PRIVATE, 0, 8, NULL, 0), EFAULT);

  pthread_t t;
  atomic_store(&bw_ready, 0);
  CHECK(pthread_create(&t, NULL, bitset_waiter, NULL) == 0);
  while (atomic_load(&bw_ready) == 0) sched_yield();
  sleep_ms(150);
  CHECK_EQ(futex6(&bw, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x1), 0);
  CHECK_EQ(futex6(&bw, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x6), 1);
  void* ret;
  CHECK(pthread_join(t, &ret) == 0);
  CHECK(ret == NULL);
}

static void unknown_ops(void) {
  static _Atomic uint32_t w;
  CHECK_ERR(futex6(&w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, NULL, 0), ENOSYS);
  CHECK_ERR(futex6(&w, 14, 1, 0, NULL, 0), ENOSYS);
  CHECK_ERR(futex6(&w, 99 | FUTEX_PRIVATE_FLAG, 1, 0, NULL, 0), ENOSYS);
  CHECK_ERR(futex6(&w, 2 /* FUTEX_FD, removed */, 1, 0, NULL, 0), ENOSYS);
  // A wake asks for at least one waiter whatever the count.
  CHECK_EQ(futex6(&w, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0), 0);
  CHECK_EQ(futex6(&w, FUTEX_WAKE_PRIVATE, (uint32_t)-1, 0, NULL, 0), 0);
}

int main(void) {
  requeue();
  wake_op();
  bitsets();
  unknown_ops();
  return 0;
}
