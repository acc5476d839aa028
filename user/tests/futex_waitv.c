// futex_waitv: sleeping on several words at once, woken by a FUTEX_WAKE on
// any one of them (the index of that one is returned), private and shared
// entries, absolute timeouts on CLOCK_MONOTONIC and CLOCK_REALTIME, and the
// errors: EAGAIN (a value differs), EINVAL (flags, counts, entry sizes,
// reserved bits, a misaligned word, the clock), EFAULT and ETIMEDOUT.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

struct waitv {  // struct futex_waitv
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t reserved;
};

#define SIZE_U32 0x02
#define PRIVATE2 128

static _Atomic uint32_t words[3];
static _Atomic int ready;

static long waitv(struct waitv* w, unsigned n, unsigned flags, struct timespec* ts, int clock) {
  return syscall(SYS_futex_waitv, w, n, flags, ts, clock);
}

static void fill(struct waitv* w, uint32_t flags) {
  for (int i = 0; i < 3; ++i) {
    w[i].val = atomic_load(&words[i]);
    w[i].uaddr = (uint64_t)(uintptr_t)&words[i];
    w[i].flags = SIZE_U32 | flags;
    w[i].reserved = 0;
  }
}

static struct timespec in_ms(clockid_t c, long ms) {
  struct timespec ts;
  clock_gettime(c, &ts);
  ts.tv_nsec += ms * 1000000L;
  while (ts.tv_nsec >= 1000000000L) {
    ts.tv_nsec -= 1000000000L;
    ts.tv_sec += 1;
  }
  return ts;
}

static void* waiter(void* arg) {
  uint32_t flags = (uint32_t)(uintptr_t)arg;
  struct waitv w[3];
  fill(w, flags);
  atomic_store(&ready, 1);
  struct timespec ts = in_ms(CLOCK_MONOTONIC, 5000);
  long r = waitv(w, 3, 0, &ts, CLOCK_MONOTONIC);
  return (void*)(intptr_t)(r < 0 ? -errno : r);
}

static void woken_by_one(uint32_t flags, int wake_op) {
  atomic_store(&ready, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, waiter, (void*)(uintptr_t)flags) == 0);
  while (atomic_load(&ready) == 0) sched_yield();
  struct timespec ts = {0, 150 * 1000 * 1000};
  nanosleep(&ts, NULL);
  CHECK_EQ(syscall(SYS_futex, &words[1], wake_op, 1, NULL, NULL, 0), 1);
  void* ret;
  CHECK(pthread_join(t, &ret) == 0);
  CHECK_EQ((intptr_t)ret, 1);  // the index of words[1]
}

int main(void) {
  if (!REQUIRE_LINUX(5, 16, "futex_waitv")) return 0;
  atomic_store(&words[0], 10);
  atomic_store(&words[1], 20);
  atomic_store(&words[2], 30);
  struct waitv w[3];
  fill(w, PRIVATE2);
  // A value that differs: EAGAIN at once.
  w[2].val = 31;
  CHECK_ERR(waitv(w, 3, 0, NULL, 0), EAGAIN);
  w[2].val = 30;
  // A value wider than the word is refused (Linux 6.1 compared only its
  // low 32 bits and slept).
  if (REQUIRE_LINUX(6, 7, "futex_waitv refuses a value wider than the word")) {
    w[0].val = 10 + (1ull << 32);
    CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL);
    w[0].val = 10;
  }
  // Timeouts: absolute, on either clock.
  struct timespec ts = in_ms(CLOCK_MONOTONIC, 30);
  CHECK_ERR(waitv(w, 3, 0, &ts, CLOCK_MONOTONIC), ETIMEDOUT);
  ts = in_ms(CLOCK_REALTIME, 30);
  CHECK_ERR(waitv(w, 3, 0, &ts, CLOCK_REALTIME), ETIMEDOUT);
  // Errors.
  CHECK_ERR(waitv(w, 3, 1, NULL, 0), EINVAL);
  CHECK_ERR(waitv(w, 0, 0, NULL, 0), EINVAL);
  CHECK_ERR(waitv(w, 129, 0, NULL, 0), EINVAL);
  CHECK_ERR(waitv(NULL, 3, 0, NULL, 0), EINVAL);
  CHECK_ERR(waitv(w, 3, 0, &ts, CLOCK_BOOTTIME), EINVAL);
  CHECK_ERR(waitv(w, 3, 0, (struct timespec*)8, CLOCK_MONOTONIC), EFAULT);
  CHECK_ERR(waitv((struct waitv*)8, 3, 0, NULL, 0), EFAULT);
  struct timespec bad = {0, 1000000000};
  CHECK_ERR(waitv(w, 3, 0, &bad, CLOCK_MONOTONIC), EINVAL);
  w[1].flags = 0;  // an 8-bit word: not supported
  CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL);
  w[1].flags = SIZE_U32 | 0x4;
  CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL);
  w[1].flags = SIZE_U32;
  w[1].reserved = 1;
  CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL);
  w[1].reserved = 0;
  w[1].uaddr += 1;
  CHECK_ERR(waitv(w, 3, 0, NULL, 0), EINVAL);
  // Woken through one word, private and shared.
  woken_by_one(PRIVATE2, FUTEX_WAKE_PRIVATE);
  woken_by_one(0, FUTEX_WAKE);
  return 0;
}
