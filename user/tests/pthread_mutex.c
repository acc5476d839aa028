// Mutexes and contention (futex wait/wake underneath): 4 threads x 20000
// increments must sum exactly.
#include <pthread.h>

#include "user/lib/check.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 20000; ++i) {
    CHECK(pthread_mutex_lock(&lock) == 0);
    ++counter;
    if (i % 1000 == 0) sched_yield();
    CHECK(pthread_mutex_unlock(&lock) == 0);
  }
  return NULL;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
  for (int i = 0; i < 4; ++i) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK_EQ(counter, 80000);
  CHECK(pthread_mutex_trylock(&lock) == 0);
  CHECK(pthread_mutex_trylock(&lock) == EBUSY);
  CHECK(pthread_mutex_unlock(&lock) == 0);
  return 0;
}
