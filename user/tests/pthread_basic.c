// pthreads (clone with CLONE_THREAD|CLONE_VM|CLONE_SETTLS|...): create, join,
// return values, distinct tids, thread-local storage, detached threads.
#include <pthread.h>
#include <stdint.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

static __thread int tls_value = 7;
static pid_t tids[8];

static void* worker(void* arg) {
  intptr_t i = (intptr_t)arg;
  CHECK_EQ(tls_value, 7);  // every thread starts from the initializer
  tls_value = (int)i * 100;
  tids[i] = (pid_t)syscall(SYS_gettid);
  CHECK_EQ(getpid(), getpid());
  sched_yield();
  CHECK_EQ(tls_value, i * 100);
  return (void*)(i * 2);
}

int main(void) {
  pthread_t t[8];
  for (intptr_t i = 0; i < 8; ++i) CHECK(pthread_create(&t[i], NULL, worker, (void*)i) == 0);
  for (intptr_t i = 0; i < 8; ++i) {
    void* ret;
    CHECK(pthread_join(t[i], &ret) == 0);
    CHECK_EQ((intptr_t)ret, i * 2);
  }
  pid_t me = (pid_t)syscall(SYS_gettid);
  CHECK_EQ(me, getpid());
  for (int i = 0; i < 8; ++i) {
    CHECK(tids[i] > 0 && tids[i] != me);
    for (int j = 0; j < i; ++j) CHECK(tids[i] != tids[j]);
  }
  CHECK_EQ(tls_value, 7);
  // Many short-lived threads.
  for (int round = 0; round < 50; ++round) {
    pthread_t x;
    CHECK(pthread_create(&x, NULL, worker, (void*)(intptr_t)(round % 8)) == 0);
    CHECK(pthread_join(x, NULL) == 0);
  }
  return 0;
}
