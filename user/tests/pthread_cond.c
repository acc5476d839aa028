// Condition variables: a bounded producer/consumer queue, and a timed wait
// that times out.
#include <pthread.h>
#include <time.h>

#include "user/lib/check.h"

enum { kItems = 5000, kCap = 8 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[kCap], head, count;

static void* producer(void* arg) {
  (void)arg;
  for (int i = 1; i <= kItems; ++i) {
    pthread_mutex_lock(&mu);
    while (count == kCap) pthread_cond_wait(&not_full, &mu);
    queue[(head + count++) % kCap] = i;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, producer, NULL) == 0);
  long sum = 0;
  for (int i = 1; i <= kItems; ++i) {
    pthread_mutex_lock(&mu);
    while (count == 0) pthread_cond_wait(&not_empty, &mu);
    int v = queue[head];
    head = (head + 1) % kCap;
    --count;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&mu);
    CHECK_EQ(v, i);  // FIFO order
    sum += v;
  }
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(sum, (long)kItems * (kItems + 1) / 2);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 20 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&mu);
  CHECK_EQ(pthread_cond_timedwait(&not_empty, &mu, &deadline), ETIMEDOUT);
  pthread_mutex_unlock(&mu);
  return 0;
}
