// Memory locks: mlock, mlock2 (MLOCK_ONFAULT), munlock, mlockall
// (MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT) and munlockall, and MAP_LOCKED:
// which pages are faulted in (pagemap), how areas split and merge (maps),
// what /proc shows (VmLck, smaps' Locked and "lo"), RLIMIT_MEMLOCK without
// CAP_IPC_LOCK (EPERM, ENOMEM, EAGAIN), locks not inherited by fork, and the
// argument errors.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static long page;

static long mlock2_(void* addr, size_t len, unsigned flags) {
  return syscall(SYS_mlock2, addr, len, flags);
}

static int present(const void* addr) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  CHECK(fd >= 0);
  uint64_t e = 0;
  CHECK_EQ(pread(fd, &e, 8, (off_t)((uintptr_t)addr / page * 8)), 8);
  close(fd);
  return (e >> 63) & 1;
}

// VmLck of this process, in kB.
static long vm_lck(void) {
  FILE* f = fopen("/proc/self/status", "r");
  CHECK(f != NULL);
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmLck:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  }
  fclose(f);
  return kb;
}

// The number of areas in /proc/self/maps that meet [addr, addr + len).
static int areas(const void* addr, size_t len) {
  FILE* f = fopen("/proc/self/maps", "r");
  CHECK(f != NULL);
  char line[512];
  int n = 0;
  uintptr_t a = (uintptr_t)addr, b = a + len;
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < b && e > a) ++n;
  }
  fclose(f);
  return n;
}

// Whether the smaps VmFlags of the area at `addr` has " lo", and its
// Locked value (kB) in `locked_kb`.
static int smaps_locked(const void* addr, long* locked_kb) {
  FILE* f = fopen("/proc/self/smaps", "r");
  CHECK(f != NULL);
  char line[512], start[32];
  snprintf(start, sizeof start, "%08lx-", (unsigned long)(uintptr_t)addr);
  int in = 0, lo = 0;
  while (fgets(line, sizeof line, f)) {
    size_t word = strcspn(line, " ");
    if (memchr(line, ':', word) == NULL) {  // an area's first line
      in = strncmp(line, start, strlen(start)) == 0;
    } else if (in && strncmp(line, "Locked:", 7) == 0) {
      *locked_kb = strtol(line + 7, NULL, 10);
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      lo = strstr(line, " lo") != NULL;
    }
  }
  fclose(f);
  return lo;
}

static char* map(size_t pages, int prot) {
  char* p = mmap(NULL, pages * page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

static void lock_and_unlock(void) {
  long base = vm_lck();
  char* p = map(3, PROT_READ | PROT_WRITE);
  for (int i = 0; i < 3; ++i) CHECK(!present(p + i * page));
  CHECK_OK(mlock(p, 3 * page));
  for (int i = 0; i < 3; ++i) CHECK(present(p + i * page));
  CHECK_EQ(vm_lck(), base + 3 * page / 1024);
  long locked = -1;
  CHECK(smaps_locked(p, &locked));
  CHECK_EQ(locked, 3 * page / 1024);
  // Unlocking the middle splits the area in three; unlocking all merges it.
  CHECK_EQ(areas(p, 3 * page), 1);
  CHECK_OK(munlock(p + page, page));
  CHECK_EQ(areas(p, 3 * page), 3);
  CHECK(!smaps_locked(p + page, &locked));
  CHECK_EQ(vm_lck(), base + 2 * page / 1024);
  CHECK_OK(munlock(p, 3 * page));
  CHECK_EQ(areas(p, 3 * page), 1);
  CHECK(!smaps_locked(p, &locked));
  CHECK_EQ(locked, 0);
  CHECK_EQ(vm_lck(), base);
  // An unaligned start and length cover whole pages.
  CHECK_OK(mlock(p + 100, 10));
  CHECK_EQ(vm_lck(), base + page / 1024);
  CHECK_OK(munlock(p + 100, 10));
  CHECK_EQ(vm_lck(), base);
  CHECK_OK(mlock(p, 0));
  CHECK_OK(munmap(p, 3 * page));
}

static void on_fault(void) {
  long base = vm_lck();
  char* p = map(4, PROT_READ | PROT_WRITE);
  CHECK_OK(mlock2_(p, 4 * page, MLOCK_ONFAULT));
  long locked = -1;
  CHECK(smaps_locked(p, &locked));
  CHECK_EQ(vm_lck(), base + 4 * page / 1024);
  for (int i = 0; i < 4; ++i) CHECK(!present(p + i * page));
  p[page] = 1;
  CHECK(present(p + page));
  CHECK(!present(p));
  // mlock without the flag faults the rest in.
  CHECK_OK(mlock2_(p, 4 * page, 0));
  for (int i = 0; i < 4; ++i) CHECK(present(p + i * page));
  CHECK_ERR(mlock2_(p, page, 2), EINVAL);
  CHECK_ERR(mlock2_(p, page, ~0u), EINVAL);
  CHECK_OK(munmap(p, 4 * page));
  CHECK_EQ(vm_lck(), base);
}

static void holes_and_protection(void) {
  char* p = map(3, PROT_READ | PROT_WRITE);
  CHECK_OK(munmap(p + page, page));
  long base = vm_lck();
  // The area before the hole is locked; the hole is ENOMEM.
  CHECK_ERR(mlock(p, 3 * page), ENOMEM);
  CHECK_EQ(vm_lck(), base + page / 1024);
  CHECK_ERR(munlock(p, 3 * page), ENOMEM);
  CHECK_EQ(vm_lck(), base);
  CHECK_ERR(mlock(p + page, page), ENOMEM);
  // Nothing to fault in a PROT_NONE area: ENOMEM, yet it is locked.
  CHECK_OK(mprotect(p, page, PROT_NONE));
  CHECK_ERR(mlock(p, page), ENOMEM);
  CHECK_OK(munlock(p, page));
  // A read-only area is faulted in for reading.
  CHECK_OK(mprotect(p + 2 * page, page, PROT_READ));
  CHECK_OK(mlock(p + 2 * page, page));
  CHECK(present(p + 2 * page));
  CHECK_OK(munmap(p, 3 * page));
}

static void lock_all(void) {
  CHECK_ERR(mlockall(0), EINVAL);
  CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL);
  CHECK_ERR(mlockall(8), EINVAL);
  // MCL_FUTURE: new areas are locked and faulted in.
  CHECK_OK(mlockall(MCL_FUTURE));
  char* p = map(2, PROT_READ | PROT_WRITE);
  long locked = -1;
  CHECK(smaps_locked(p, &locked));
  CHECK(present(p) && present(p + page));
  CHECK_OK(munmap(p, 2 * page));
  // With MCL_ONFAULT they are locked but not faulted in.
  CHECK_OK(mlockall(MCL_FUTURE | MCL_ONFAULT));
  p = map(2, PROT_READ | PROT_WRITE);
  CHECK(smaps_locked(p, &locked));
  CHECK(!present(p));
  CHECK_OK(munmap(p, 2 * page));
  // MCL_CURRENT locks what exists; munlockall undoes both.
  p = map(1, PROT_READ | PROT_WRITE);
  CHECK_OK(munlockall());
  CHECK(!smaps_locked(p, &locked));
  CHECK_OK(mlockall(MCL_CURRENT));
  CHECK(smaps_locked(p, &locked));
  CHECK(present(p));
  CHECK(vm_lck() > 0);
  char* q = map(1, PROT_READ | PROT_WRITE);  // no MCL_FUTURE: not locked
  CHECK(!smaps_locked(q, &locked));
  // A child starts with nothing locked.
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) _exit(vm_lck() == 0 && !smaps_locked(p, &locked) ? 0 : 1);
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_OK(munlockall());
  CHECK_EQ(vm_lck(), 0);
  CHECK_OK(munmap(p, page));
  CHECK_OK(munmap(q, page));
  // MAP_LOCKED: one area, locked and faulted in.
  p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(smaps_locked(p, &locked));
  CHECK(present(p + page));
  CHECK_OK(munmap(p, 2 * page));
}

// Without CAP_IPC_LOCK (as nobody), RLIMIT_MEMLOCK rules.
static void limits(void) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char* p = map(4, PROT_READ | PROT_WRITE);
    struct rlimit none = {0, 0};
    CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &none));
    CHECK_OK(setgid(65534));
    CHECK_OK(setuid(65534));
    CHECK_ERR(mlock(p, page), EPERM);
    CHECK_ERR(mlockall(MCL_CURRENT), EPERM);
    CHECK_OK(munlock(p, page));  // unlocking needs no right
    CHECK_OK(munlockall());
    _exit(0);
  }
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char* p = map(4, PROT_READ | PROT_WRITE);
    struct rlimit two = {2 * page, 2 * page};
    CHECK_OK(setrlimit(RLIMIT_MEMLOCK, &two));
    CHECK_OK(setgid(65534));
    CHECK_OK(setuid(65534));
    CHECK_ERR(mlock(p, 3 * page), ENOMEM);
    CHECK_EQ(vm_lck(), 0);
    CHECK_OK(mlock(p, 2 * page));
    CHECK_OK(mlock(p, 2 * page));  // locked already: counts once
    CHECK_ERR(mlock(p + page, 2 * page), ENOMEM);
    void* q = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    CHECK(q == MAP_FAILED && errno == EAGAIN);
    CHECK_ERR(mlockall(MCL_CURRENT), ENOMEM);  // the whole space is far larger
    CHECK_OK(munlock(p, 4 * page));
    _exit(0);
  }
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
  page = sysconf(_SC_PAGESIZE);
  lock_and_unlock();
  on_fault();
  holes_and_protection();
  lock_all();
  limits();
  return 0;
}
