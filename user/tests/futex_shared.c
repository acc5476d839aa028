// Shared futexes: a FUTEX_WAKE from another process (after fork, on a
// MAP_SHARED anonymous page), through a second mapping of the same memfd, and
// from a process that mapped a tmpfs file on its own, finds the waiter. With
// FUTEX_PRIVATE_FLAG the other process's wake finds nobody. Errors: EFAULT
// for a shared wake on unmapped memory (a private one finds nobody, 0),
// EINVAL for a misaligned word.
#define _GNU_SOURCE
#include <fcntl.h>
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
#include "user/lib/memfd.h"

static long futex(void* addr, int op, uint32_t val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

// The shared page: the futex word and a flag the waiter sets just before it
// waits.
struct shared {
  _Atomic uint32_t word;
  _Atomic uint32_t ready;
};

// In a child: waits (at most 5 s) on `word` while it is 0; exit status 0 if
// woken by the other process, 2 on the timeout.
static void wait_in_child(_Atomic uint32_t* word, _Atomic uint32_t* ready, int op) {
  atomic_store(ready, 1);
  struct timespec ts = {5, 0};
  while (atomic_load(word) == 0) {
    long r = futex(word, op, 0, &ts);
    if (r == -1 && errno == ETIMEDOUT) _exit(2);
    if (r == -1 && errno != EAGAIN && errno != EINTR) _exit(3);
  }
  _exit(0);
}

// Waits until the child said it is about to sleep, then a little more so
// that it sleeps in the kernel.
static void await_sleeper(_Atomic uint32_t* ready) {
  while (atomic_load(ready) == 0) sched_yield();
  sleep_ms(100);
}

// Shared anonymous memory across fork: the parent's wake finds the child.
static void across_fork(void) {
  struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) wait_in_child(&s->word, &s->ready, FUTEX_WAIT);
  await_sleeper(&s->ready);
  atomic_store(&s->word, 1);
  CHECK_EQ(futex(&s->word, FUTEX_WAKE, 1, NULL), 1);
  CHECK_EQ(wait_exit_status(pid), 0);
  CHECK_OK(munmap(s, 4096));
}

// FUTEX_PRIVATE_FLAG keys by address space: the other process's private wake
// finds nobody, and the waiter times out.
static void private_stays_private(void) {
  struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    atomic_store(&s->ready, 1);
    struct timespec ts = {0, 300 * 1000 * 1000};
    long r = futex(&s->word, FUTEX_WAIT_PRIVATE, 0, &ts);
    _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
  }
  await_sleeper(&s->ready);
  CHECK_EQ(futex(&s->word, FUTEX_WAKE_PRIVATE, 1, NULL), 0);
  CHECK_EQ(wait_exit_status(pid), 0);
  CHECK_OK(munmap(s, 4096));
}

struct memfd_waiter {
  _Atomic uint32_t* word;
  _Atomic uint32_t* ready;
  int result;
};

static void* memfd_wait_thread(void* arg) {
  struct memfd_waiter* w = arg;
  atomic_store(w->ready, 1);
  struct timespec ts = {5, 0};
  w->result = 2;
  while (atomic_load(w->word) == 0) {
    long r = futex(w->word, FUTEX_WAIT, 0, &ts);
    if (r == -1 && errno == ETIMEDOUT) return NULL;
  }
  w->result = 0;
  return NULL;
}

// Two mappings of one memfd at different addresses, in one process: a wake
// through one finds a waiter on the other. Then a child that maps the memfd
// itself (after fork) is woken through the parent's mapping.
static void memfd_two_mappings(void) {
  int fd = CHECK_OK(memfd("futex", 0));
  CHECK_OK(ftruncate(fd, 8192));
  // The word at offset 4096 + 64 of the file.
  char* a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(a != MAP_FAILED);
  char* b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
  CHECK(b != MAP_FAILED);
  CHECK(a + 4096 != b);
  _Atomic uint32_t* wa = (_Atomic uint32_t*)(a + 4096 + 64);
  _Atomic uint32_t* wb = (_Atomic uint32_t*)(b + 64);
  _Atomic uint32_t* ready = (_Atomic uint32_t*)(a + 128);
  struct memfd_waiter w = {wa, ready, -1};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, memfd_wait_thread, &w) == 0);
  await_sleeper(ready);
  atomic_store(wb, 1);
  CHECK_EQ(atomic_load(wa), 1);
  CHECK_EQ(futex(wb, FUTEX_WAKE, 1, NULL), 1);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(w.result, 0);

  atomic_store(wa, 0);
  atomic_store(ready, 0);
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    // A third mapping, the child's own, of the page holding the word.
    char* c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    if (c == MAP_FAILED) _exit(4);
    wait_in_child((_Atomic uint32_t*)(c + 64), ready, FUTEX_WAIT);
  }
  await_sleeper(ready);
  atomic_store(wa, 1);
  CHECK_EQ(futex(wa, FUTEX_WAKE, 1, NULL), 1);
  CHECK_EQ(wait_exit_status(pid), 0);
  CHECK_OK(munmap(a, 8192));
  CHECK_OK(munmap(b, 4096));
  CHECK_OK(close(fd));
}

// A tmpfs (or any) file mapped by two processes independently.
static void file_mapping(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("futex_file", O_RDWR | O_CREAT, 0600));
  CHECK_OK(ftruncate(fd, 4096));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    int cfd = open("futex_file", O_RDWR);
    if (cfd < 0) _exit(4);
    struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    if (s == MAP_FAILED) _exit(5);
    wait_in_child(&s->word, &s->ready, FUTEX_WAIT);
  }
  struct shared* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(s != MAP_FAILED);
  await_sleeper(&s->ready);
  atomic_store(&s->word, 1);
  CHECK_EQ(futex(&s->word, FUTEX_WAKE, 1, NULL), 1);
  CHECK_EQ(wait_exit_status(pid), 0);
  CHECK_OK(munmap(s, 4096));
  CHECK_OK(close(fd));
}

static void errors(void) {
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK_ERR(futex(p + 2, FUTEX_WAKE, 1, NULL), EINVAL);
  CHECK_ERR(futex(p + 2, FUTEX_WAIT, 0, NULL), EINVAL);
  CHECK_OK(munmap(p, 4096));
  // Nothing mapped: a shared key cannot be made; a private one needs no page.
  CHECK_ERR(futex(p, FUTEX_WAKE, 1, NULL), EFAULT);
  CHECK_EQ(futex(p, FUTEX_WAKE_PRIVATE, 1, NULL), 0);
  CHECK_ERR(futex(p, FUTEX_WAIT, 0, NULL), EFAULT);
  CHECK_ERR(futex(p, FUTEX_WAIT_PRIVATE, 0, NULL), EFAULT);
  // A shared futex in private memory behaves as a private one in-process.
  static _Atomic uint32_t word = 3;
  CHECK_ERR(futex(&word, FUTEX_WAIT, 2, NULL), EAGAIN);
  CHECK_EQ(futex(&word, FUTEX_WAKE, 1, NULL), 0);
}

int main(void) {
  across_fork();
  private_stays_private();
  memfd_two_mappings();
  file_mapping();
  errors();
  return 0;
}
