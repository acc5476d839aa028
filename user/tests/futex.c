// Raw futex: WAIT with a stale value (EAGAIN), WAIT with a timeout
// (ETIMEDOUT), WAKE with nobody waiting (0), and a real wait/wake pair.
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "user/lib/check.h"

static atomic_int word;

static long futex(atomic_int* addr, int op, int val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static void* waker(void* arg) {
  (void)arg;
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  // One wake is enough: the waiter re-checks the word before every wait, and
  // FUTEX_WAIT refuses to sleep once it changed. (Waking until someone is
  // woken would spin forever if the waiter saw the 1 without sleeping.)
  atomic_store(&word, 1);
  CHECK_OK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL));
  return NULL;
}

int main(void) {
  atomic_store(&word, 5);
  CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL), EAGAIN);
  struct timespec ts = {0, 10 * 1000 * 1000};
  CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts), ETIMEDOUT);
  CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL), 0);
  CHECK_ERR(futex(NULL, FUTEX_WAIT_PRIVATE, 0, NULL), EFAULT);
  CHECK_ERR(futex((atomic_int*)((char*)&word + 1), FUTEX_WAIT_PRIVATE, 0, NULL), EINVAL);
  atomic_store(&word, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, waker, NULL) == 0);
  while (atomic_load(&word) == 0) {
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL);
    CHECK(r == 0 || errno == EAGAIN || errno == EINTR);
  }
  CHECK(pthread_join(t, NULL) == 0);
  return 0;
}
