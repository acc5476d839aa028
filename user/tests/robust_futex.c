// Robust futexes: set_robust_list/get_robust_list (the head glibc registers,
// EINVAL for a wrong size, ESRCH for no such thread, EFAULT), and what
// happens when an owner dies holding a robust mutex: the word gets
// FUTEX_OWNER_DIED and one waiter is woken, so pthread_mutex_lock returns
// EOWNERDEAD, for a process-shared mutex whose owner process exits (with and
// without a waiter already asleep) and for a thread that exits.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void robust_list_calls(void) {
  struct robust_list_head* head = NULL;
  size_t len = 0;
  CHECK_OK(syscall(SYS_get_robust_list, 0, &head, &len));
  CHECK(head != NULL);  // glibc registers every thread's list
  CHECK_EQ(len, sizeof(struct robust_list_head));
  CHECK_EQ(len, 24);
  struct robust_list_head* again = NULL;
  CHECK_OK(syscall(SYS_get_robust_list, gettid(), &again, &len));
  CHECK(again == head);
  CHECK_ERR(syscall(SYS_set_robust_list, head, (size_t)23), EINVAL);
  CHECK_ERR(syscall(SYS_set_robust_list, head, (size_t)0), EINVAL);
  CHECK_ERR(syscall(SYS_get_robust_list, 0x3fffffff, &again, &len), ESRCH);
  CHECK_ERR(syscall(SYS_get_robust_list, 0, NULL, &len), EFAULT);
  CHECK_ERR(syscall(SYS_get_robust_list, 0, &again, NULL), EFAULT);
  // Another list, then glibc's back.
  struct robust_list_head mine = {{&mine.list}, 0, NULL};
  CHECK_OK(syscall(SYS_set_robust_list, &mine, sizeof mine));
  CHECK_OK(syscall(SYS_get_robust_list, 0, &again, &len));
  CHECK(again == &mine);
  CHECK_OK(syscall(SYS_set_robust_list, head, len));
}

struct shared {
  pthread_mutex_t m;
  _Atomic int locked;
};

static void init_robust(pthread_mutex_t* m, int pshared) {
  pthread_mutexattr_t a;
  CHECK(pthread_mutexattr_init(&a) == 0);
  CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0);
  if (pshared) CHECK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) == 0);
  CHECK(pthread_mutex_init(m, &a) == 0);
  CHECK(pthread_mutexattr_destroy(&a) == 0);
}

// The futex word of a glibc mutex.
static uint32_t word_of(pthread_mutex_t* m) { return (uint32_t)m->__data.__lock; }

// The owner process exits holding the mutex; nobody waits yet.
static void process_dies_unwatched(void) {
  struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  init_robust(&s->m, 1);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (pthread_mutex_lock(&s->m) != 0) _exit(1);
    _exit(0);  // dies holding it
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The kernel marked the word: owner died, no owner tid, no waiters.
  CHECK_EQ(word_of(&s->m), FUTEX_OWNER_DIED);
  CHECK_EQ(pthread_mutex_lock(&s->m), EOWNERDEAD);
  CHECK_EQ(pthread_mutex_consistent(&s->m), 0);
  CHECK_EQ(pthread_mutex_unlock(&s->m), 0);
  CHECK_EQ(pthread_mutex_lock(&s->m), 0);
  CHECK_EQ(pthread_mutex_unlock(&s->m), 0);
  CHECK_OK(munmap(s, 4096));
}

// The owner process exits while this process sleeps in pthread_mutex_lock:
// the kernel must wake it.
static void process_dies_with_waiter(void) {
  struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  init_robust(&s->m, 1);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (pthread_mutex_lock(&s->m) != 0) _exit(1);
    atomic_store(&s->locked, 1);
    sleep_ms(200);  // the parent is asleep on the mutex by now
    _exit(0);
  }
  while (atomic_load(&s->locked) == 0) sched_yield();
  CHECK_EQ(pthread_mutex_lock(&s->m), EOWNERDEAD);
  CHECK_EQ(pthread_mutex_consistent(&s->m), 0);
  CHECK_EQ(pthread_mutex_unlock(&s->m), 0);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_OK(munmap(s, 4096));
}

static pthread_mutex_t thread_mutex;
static _Atomic int thread_locked;

static void* lock_and_exit(void* arg) {
  (void)arg;
  CHECK(pthread_mutex_lock(&thread_mutex) == 0);
  atomic_store(&thread_locked, 1);
  sleep_ms(100);
  return NULL;  // exits holding it
}

// A thread exits holding a (process-private) robust mutex that main waits on.
static void thread_dies(void) {
  init_robust(&thread_mutex, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, lock_and_exit, NULL) == 0);
  while (atomic_load(&thread_locked) == 0) sched_yield();
  CHECK_EQ(pthread_mutex_lock(&thread_mutex), EOWNERDEAD);
  CHECK_EQ(pthread_mutex_consistent(&thread_mutex), 0);
  CHECK_EQ(pthread_mutex_unlock(&thread_mutex), 0);
  CHECK(pthread_join(t, NULL) == 0);
}

int main(void) {
  robust_list_calls();
  process_dies_unwatched();
  process_dies_with_waiter();
  thread_dies();
  return 0;
}
