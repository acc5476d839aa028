// memfd seal races: writer, truncater and mapper threads hammer one memfd while
// the main thread adds F_SEAL_SHRINK|F_SEAL_GROW and then F_SEAL_WRITE
// (retrying on EBUSY). Once a seal call has returned, the operations it forbids
// never succeed: the size stays fixed, pwrite never extends it nor (after
// F_SEAL_WRITE) writes at all, the bytes never change, and a thread holding a
// writable shared mapping never sees F_SEAL_WRITE. Bounded by operation counts.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sys/mman.h>
#include <sys/syscall.h>

#include "user/lib/check.h"
#include "user/lib/memfd.h"

enum {
  kRounds = 25,
  kWriters = 2,
  kTruncaters = 1,
  kMappers = 2,
  kThreads = kWriters + kTruncaters + kMappers,
  kPage = 4096,
  kMinSize = 2 * kPage,  // truncaters never go below this, so mappings never SIGBUS
  kMaxSize = 16 * kPage,
  kMaxWrite = 3000,
  // Operations (of all threads together) per round before each step of the main
  // thread, and F_SEAL_WRITE attempts before the mappers are asked to pause.
  kOpsBeforeGrowSeal = 400,
  kOpsBeforeWriteSeal = 800,
  kOpsAfterWriteSeal = 400,
  kBusyTries = 500,
};

static int fd;
static atomic_int stop;
static atomic_int grow_sealed;    // set once F_ADD_SEALS(SHRINK|GROW) has returned
static atomic_int write_sealed;   // set once F_ADD_SEALS(WRITE) has returned
static atomic_int mappers_pause;  // set while the main thread retries F_SEAL_WRITE for long
static atomic_int adding_write;   // set while the main thread is trying to add F_SEAL_WRITE
static atomic_long sealed_size;   // the size right after SHRINK|GROW (set before grow_sealed)
static atomic_long ops;

static unsigned char pat(long off) { return (unsigned char)(off * 131 + 7); }

static long seals(void) { return CHECK_OK(fcntl(fd, F_GET_SEALS)); }

static long size_now(void) {
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  return st.st_size;
}

// pwrite of pattern bytes at random offsets.
static void* writer(void* arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  unsigned char buf[kMaxWrite];
  while (!atomic_load(&stop)) {
    long len = 1 + rand_r(&seed) % kMaxWrite;
    long off = rand_r(&seed) % (kMaxSize - len + 1);
    for (long i = 0; i < len; ++i) buf[i] = pat(off + i);
    int ws = atomic_load(&write_sealed), gs = atomic_load(&grow_sealed);
    long n = pwrite(fd, buf, len, off);
    if (n < 0) {
      CHECK_EQ(errno, EPERM);
      CHECK(seals() & (F_SEAL_GROW | F_SEAL_WRITE));
    } else {
      if (ws) fprintf(stderr, "pwrite(%ld @ %ld) = %ld after F_SEAL_WRITE\n", len, off, n);
      CHECK(!ws);
      if (gs) CHECK(off + n <= atomic_load(&sealed_size));  // never extends after GROW
      if (!(seals() & F_SEAL_GROW)) CHECK_EQ(n, len);       // only GROW makes it partial
      CHECK(n > 0);
    }
    atomic_fetch_add(&ops, 1);
  }
  return NULL;
}

// ftruncate to random sizes in [kMinSize, kMaxSize].
static void* truncater(void* arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!atomic_load(&stop)) {
    long size = kMinSize + rand_r(&seed) % (kMaxSize - kMinSize + 1);
    int gs = atomic_load(&grow_sealed);
    if (ftruncate(fd, size) == 0) {
      if (gs) CHECK_EQ(size, atomic_load(&sealed_size));
    } else {
      CHECK_EQ(errno, EPERM);
      CHECK(seals() & (F_SEAL_SHRINK | F_SEAL_GROW));
    }
    if (gs) CHECK_EQ(size_now(), atomic_load(&sealed_size));
    atomic_fetch_add(&ops, 1);
  }
  return NULL;
}

// mmap(MAP_SHARED, PROT_READ|PROT_WRITE) a page, store pattern bytes, munmap.
static void* mapper(void* arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  while (!atomic_load(&stop)) {
    if (atomic_load(&mappers_pause)) {
      sched_yield();
      continue;
    }
    long off = (rand_r(&seed) % (kMinSize / kPage)) * kPage;
    int ws = atomic_load(&write_sealed);
    unsigned char* m = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
    if (m == MAP_FAILED) {
      // EPERM: sealed, or the main thread is adding the seal (Linux refuses new
      // writable mappings while it waits for page references to drop).
      CHECK_EQ(errno, EPERM);
      int adding = atomic_load(&adding_write);
      CHECK(adding || (seals() & F_SEAL_WRITE));
    } else {
      CHECK(!ws);
      long from = rand_r(&seed) % kPage, len = 1 + rand_r(&seed) % (kPage - from);
      for (long i = from; i < from + len; ++i) m[i] = pat(off + i);
      long s = seals();
      if (s & F_SEAL_WRITE) fprintf(stderr, "F_SEAL_WRITE (%#lx) while mapped writable\n", s);
      CHECK(!(s & F_SEAL_WRITE));
      CHECK_OK(munmap(m, kPage));
    }
    atomic_fetch_add(&ops, 1);
  }
  return NULL;
}

static void wait_ops(long n) {
  while (atomic_load(&ops) < n) sched_yield();
}

// Reads the whole file into buf; returns its size.
static long read_all(unsigned char* buf) {
  long size = size_now();
  CHECK(size <= kMaxSize);
  CHECK_EQ(pread(fd, buf, kMaxSize + 1, 0), size);
  return size;
}

int main(void) {
  static unsigned char init[kMaxSize], snap[kMaxSize + 1], end[kMaxSize + 1];
  for (long i = 0; i < kMaxSize; ++i) init[i] = pat(i);
  for (int round = 0; round < kRounds; ++round) {
    fd = (int)CHECK_OK(syscall(SYS_memfd_create, "stress", MFD_ALLOW_SEALING));
    CHECK_EQ(pwrite(fd, init, kMaxSize / 2, 0), kMaxSize / 2);
    atomic_store(&stop, 0);
    atomic_store(&grow_sealed, 0);
    atomic_store(&write_sealed, 0);
    atomic_store(&mappers_pause, 0);
    atomic_store(&adding_write, 0);
    atomic_store(&ops, 0);
    pthread_t t[kThreads];
    for (int i = 0; i < kThreads; ++i) {
      void* (*fn)(void*) = i < kWriters ? writer : i < kWriters + kTruncaters ? truncater : mapper;
      CHECK(pthread_create(&t[i], NULL, fn, (void*)(uintptr_t)(round * 100 + i + 1)) == 0);
    }

    // SHRINK|GROW: from now on the size is fixed.
    wait_ops(kOpsBeforeGrowSeal);
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    atomic_store(&sealed_size, size_now());
    atomic_store(&grow_sealed, 1);

    // WRITE: EBUSY while a mapper holds its mapping; retry until it goes through.
    wait_ops(kOpsBeforeWriteSeal);
    atomic_store(&adding_write, 1);
    for (long tries = 0;; ++tries) {
      if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0) break;
      CHECK_EQ(errno, EBUSY);
      CHECK_EQ(seals(), F_SEAL_SHRINK | F_SEAL_GROW);
      if (tries >= kBusyTries) {  // let a gap between the mappers' mappings appear
        atomic_store(&mappers_pause, 1);
        sched_yield();
      }
    }
    long size = read_all(snap);
    atomic_store(&write_sealed, 1);
    atomic_store(&adding_write, 0);
    atomic_store(&mappers_pause, 0);
    CHECK_EQ(seals(), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    CHECK_EQ(size, atomic_load(&sealed_size));

    // Let everyone run into the seals for a while, then compare with the snapshot.
    wait_ops(atomic_load(&ops) + kOpsAfterWriteSeal);
    atomic_store(&stop, 1);
    for (int i = 0; i < kThreads; ++i) CHECK(pthread_join(t[i], NULL) == 0);
    CHECK_EQ(read_all(end), size);
    CHECK(memcmp(snap, end, size) == 0);
    for (long i = 0; i < size; ++i) CHECK(end[i] == 0 || end[i] == pat(i));
    CHECK_OK(close(fd));
  }
  return 0;
}
