// memfd seals and mmap: F_SEAL_WRITE/F_SEAL_FUTURE_WRITE refuse writable shared
// mappings and mprotect to write; private mappings copy on write; adding
// F_SEAL_WRITE is EBUSY while a shared mapping of a writable fd exists (also
// one inherited by a fork child) and succeeds once it is gone; F_SEAL_FUTURE_WRITE
// leaves existing writable mappings writable.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/memfd.h"

enum { kPage = 4096, kSize = 2 * kPage };

static unsigned char pat(long i, int seed) { return (unsigned char)(i * 7 + seed); }

// A sealable memfd of kSize bytes of pat(., seed).
static int make(int seed) {
  int fd = (int)CHECK_OK(syscall(SYS_memfd_create, "mmap", MFD_ALLOW_SEALING));
  unsigned char buf[kSize];
  for (long i = 0; i < kSize; ++i) buf[i] = pat(i, seed);
  CHECK_EQ(pwrite(fd, buf, kSize, 0), kSize);
  return fd;
}

// The file holds pat(., seed) except that byte `at` (if >= 0) is `val`.
static void check_file(int fd, int seed, long at, int val) {
  unsigned char buf[kSize + 1];
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), kSize);
  for (long i = 0; i < kSize; ++i) CHECK_EQ(buf[i], i == at ? val : pat(i, seed));
}

static void* map(int fd, int prot, int flags) {
  void* m = mmap(NULL, kSize, prot, flags, fd, 0);
  CHECK(m != MAP_FAILED);
  return m;
}

static int reopen(int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return (int)CHECK_OK(open(path, flags));
}

static long seals(int fd) { return CHECK_OK(fcntl(fd, F_GET_SEALS)); }

static void wait_ok(pid_t pid) {
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// With F_SEAL_WRITE or F_SEAL_FUTURE_WRITE set: the mmap/mprotect rules for new mappings.
static void check_sealed_mappings(int fd, int seed) {
  // MAP_SHARED with PROT_WRITE: EPERM.
  CHECK_ERR(mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
  CHECK_ERR(mmap(NULL, kSize, PROT_WRITE, MAP_SHARED, fd, kPage), EPERM);
  // MAP_SHARED read-only works but can never become writable.
  unsigned char* r = map(fd, PROT_READ, MAP_SHARED);
  CHECK_EQ(r[5], pat(5, seed));
  CHECK_ERR(mprotect(r, kSize, PROT_READ | PROT_WRITE), EACCES);
  CHECK_ERR(mprotect(r, kPage, PROT_WRITE), EACCES);
  CHECK_OK(mprotect(r, kSize, PROT_NONE));
  CHECK_OK(mprotect(r, kSize, PROT_READ));
  // MAP_PRIVATE read-write is a copy on write: the file and shared views do not change.
  unsigned char* p = map(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  CHECK_EQ(p[kPage + 1], pat(kPage + 1, seed));
  p[kPage + 1] = 0x5a;
  CHECK_EQ(p[kPage + 1], 0x5a);
  CHECK_EQ(r[kPage + 1], pat(kPage + 1, seed));
  check_file(fd, seed, -1, 0);
  // A read-only private mapping may be made writable.
  unsigned char* q = map(fd, PROT_READ, MAP_PRIVATE);
  CHECK_OK(mprotect(q, kSize, PROT_READ | PROT_WRITE));
  q[0] = 1;
  check_file(fd, seed, -1, 0);
  // A fork child writes its own copy of the private mapping; nothing else changes.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    CHECK_EQ(p[kPage + 1], 0x5a);
    p[kPage + 1] = 0x6b;
    p[3] = 0x6c;
    CHECK_EQ(p[3], 0x6c);
    CHECK_EQ(r[3], pat(3, seed));
    check_file(fd, seed, -1, 0);
    _exit(0);
  }
  wait_ok(pid);
  CHECK_EQ(p[kPage + 1], 0x5a);
  CHECK_EQ(p[3], pat(3, seed));
  check_file(fd, seed, -1, 0);
  // An O_RDONLY reopen maps shared read-only, never writable.
  int ro = reopen(fd, O_RDONLY);
  CHECK_ERR(mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
  unsigned char* s = map(ro, PROT_READ, MAP_SHARED);
  CHECK_EQ(s[kSize - 1], pat(kSize - 1, seed));
  CHECK_OK(close(ro));
  CHECK_OK(munmap(s, kSize));
  CHECK_OK(munmap(q, kSize));
  CHECK_OK(munmap(p, kSize));
  CHECK_OK(munmap(r, kSize));
}

int main(void) {
  // F_SEAL_WRITE: the mapping rules.
  int fd = make(1);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  check_sealed_mappings(fd, 1);
  CHECK_OK(close(fd));

  // F_SEAL_FUTURE_WRITE: the same rules for mappings made after the seal.
  fd = make(2);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  check_sealed_mappings(fd, 2);
  // ...and a read-only shared mapping made after it does not block F_SEAL_WRITE.
  void* r = map(fd, PROT_READ, MAP_SHARED);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_OK(munmap(r, kSize));
  CHECK_OK(close(fd));

  // EBUSY: a MAP_SHARED PROT_READ mapping of an O_RDWR fd blocks F_SEAL_WRITE and
  // nothing else in that call is applied; after munmap it succeeds.
  fd = make(3);
  r = map(fd, PROT_READ, MAP_SHARED);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), EBUSY);
  CHECK_EQ(seals(fd), 0);
  CHECK_OK(ftruncate(fd, kSize + 1));  // GROW and SHRINK really were not applied
  CHECK_OK(ftruncate(fd, kSize));
  CHECK_OK(munmap(r, kSize));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW));
  CHECK_EQ(seals(fd), F_SEAL_WRITE | F_SEAL_GROW);
  CHECK_OK(close(fd));

  // A partly unmapped mapping still blocks; the mapping outlives its fd; a mapping
  // of an O_RDWR reopen blocks sealing through the original fd.
  fd = make(4);
  int rw = reopen(fd, O_RDWR);
  unsigned char* w = map(rw, PROT_READ | PROT_WRITE, MAP_SHARED);
  CHECK_OK(close(rw));
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
  CHECK_OK(munmap(w, kPage));
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
  w[kPage] = 0x11;  // the rest is still a live writable mapping
  check_file(fd, 4, kPage, 0x11);
  CHECK_OK(munmap(w + kPage, kPage));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_OK(close(fd));

  // Mappings that do not block F_SEAL_WRITE: MAP_SHARED of an O_RDONLY reopen, and
  // MAP_PRIVATE (even read-write and written to) of the O_RDWR fd.
  fd = make(5);
  int ro = reopen(fd, O_RDONLY);
  unsigned char* s = map(ro, PROT_READ, MAP_SHARED);
  unsigned char* p = map(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  p[0] = 0x22;
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  p[1] = 0x23;  // still a private copy after the seal
  CHECK_EQ(p[0], 0x22);
  CHECK_EQ(s[0], pat(0, 5));
  CHECK_EQ(s[1], pat(1, 5));
  check_file(fd, 5, -1, 0);
  CHECK_OK(munmap(s, kSize));
  CHECK_OK(munmap(p, kSize));
  CHECK_OK(close(ro));
  CHECK_OK(close(fd));

  // F_SEAL_FUTURE_WRITE with a writable shared mapping: allowed, and the mapping stays
  // writable (stores land in the file) while write(2) is refused; F_SEAL_WRITE is
  // still EBUSY until the mapping goes.
  fd = make(6);
  w = map(fd, PROT_READ | PROT_WRITE, MAP_SHARED);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  w[100] = 0x33;
  check_file(fd, 6, 100, 0x33);
  CHECK_ERR(pwrite(fd, "x", 1, 100), EPERM);
  CHECK_ERR(mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
  CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
  CHECK_EQ(seals(fd), F_SEAL_FUTURE_WRITE);
  CHECK_OK(munmap(w, kSize));
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  CHECK_OK(close(fd));
  // ...a read-only shared mapping made before F_SEAL_FUTURE_WRITE may still be made writable.
  fd = make(7);
  r = map(fd, PROT_READ, MAP_SHARED);
  CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  CHECK_OK(mprotect(r, kSize, PROT_READ | PROT_WRITE));
  ((unsigned char*)r)[kSize - 1] = 0x44;
  check_file(fd, 7, kSize - 1, 0x44);
  CHECK_OK(munmap(r, kSize));
  CHECK_OK(close(fd));

  // A MAP_SHARED mapping inherited by a fork child blocks F_SEAL_WRITE until the child
  // unmaps it (first child) or exits (second child).
  for (int round = 0; round < 2; ++round) {
    fd = make(8);
    w = map(fd, PROT_READ | PROT_WRITE, MAP_SHARED);
    int go[2], done[2];
    CHECK_OK(pipe(go));
    CHECK_OK(pipe(done));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
      char c;
      CHECK_EQ(read(go[0], &c, 1), 1);
      w[9] = 0x55;  // the child's stores reach the file
      if (round == 0) {
        CHECK_OK(munmap(w, kSize));
        CHECK_EQ(write(done[1], "u", 1), 1);
        CHECK_EQ(read(go[0], &c, 1), 1);  // stay alive, mapping gone
      }
      _exit(0);
    }
    CHECK_OK(munmap(w, kSize));
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);  // the child's copy remains
    CHECK_EQ(seals(fd), 0);
    CHECK_EQ(write(go[1], "g", 1), 1);
    if (round == 0) {
      char c;
      CHECK_EQ(read(done[0], &c, 1), 1);
      CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
      CHECK_EQ(write(go[1], "g", 1), 1);
      wait_ok(pid);
    } else {
      wait_ok(pid);
      CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    }
    check_file(fd, 8, 9, 0x55);
    CHECK_OK(close(go[0]));
    CHECK_OK(close(go[1]));
    CHECK_OK(close(done[0]));
    CHECK_OK(close(done[1]));
    CHECK_OK(close(fd));
  }
  return 0;
}
