// /proc/self/pagemap, /proc/self/smaps, /proc/self/clear_refs and
// madvise(MADV_POPULATE_READ/WRITE): which pages are present, soft-dirty
// (written since clear_refs "4", or in an area made since), file-backed or
// exclusively mapped; smaps' sizes and VmFlags; populating for reading and
// writing; and the errors of each (EINVAL for misaligned pagemap reads, bad
// clear_refs values and populating against an area's protection, ENOMEM
// for holes, EFAULT past a file's end).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_PFN ((1ull << 55) - 1)

static long page;
static int pagemap = -1;

static uint64_t entry(const void* addr) {
  uint64_t e = 0;
  CHECK_EQ(pread(pagemap, &e, sizeof(e), (off_t)((uintptr_t)addr / page * 8)), 8);
  return e;
}

static void clear_refs(const char* what) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  CHECK(fd >= 0);
  CHECK_EQ(write(fd, what, strlen(what)), (long)strlen(what));
  close(fd);
}

static void* map_anon(size_t len, int prot) {
  void* p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

static void pagemap_reads(void) {
  // Whole entries only; past the top of user space there is nothing.
  uint64_t e[2];
  CHECK_ERR(pread(pagemap, e, 8, 4), EINVAL);
  CHECK_ERR(pread(pagemap, e, 12, 0), EINVAL);
  CHECK_EQ(pread(pagemap, e, 0, 0), 0);
  CHECK_EQ(pread(pagemap, e, 16, (off_t)(0x7ffffffff000ull / page * 8)), 0);
  CHECK_EQ(pread(pagemap, e, 16, (off_t)(0x7ffffffff000ull / page * 8 - 8)), 8);
  // A read of many entries at once agrees with reads of one.
  char* p = map_anon(4 * page, PROT_READ | PROT_WRITE);
  p[page] = 1;
  uint64_t four[4];
  CHECK_EQ(pread(pagemap, four, sizeof(four), (off_t)((uintptr_t)p / page * 8)), 32);
  for (int i = 0; i < 4; ++i) CHECK_EQ(four[i], entry(p + i * page));
  CHECK((four[1] & PM_PRESENT) != 0);
  CHECK_EQ(four[0] & PM_PRESENT, 0);
  CHECK_EQ(four[2] & PM_PRESENT, 0);
  munmap(p, 4 * page);
  // An unmapped page reads as all zeros.
  CHECK_EQ(entry(p + page), 0);
}

static void bits(void) {
  char* p = map_anon(page, PROT_READ | PROT_WRITE);
  p[0] = 1;
  uint64_t e = entry(p);
  CHECK((e & PM_PRESENT) != 0);
  CHECK((e & PM_EXCLUSIVE) != 0);
  CHECK_EQ(e & PM_FILE, 0);
  if (!EXPECTED_DIVERGENCE(
          "pagemap never shows frame numbers (physical addresses stay in the TCB)")) {
    if (geteuid() == 0) CHECK((e & PM_PFN) != 0);  // Linux shows them to CAP_SYS_ADMIN
  } else {
    CHECK_EQ(e & PM_PFN, 0);
  }
  // Shared anonymous memory is not anonymous to pagemap (Linux's shmem).
  char* s = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  s[0] = 1;
  CHECK((entry(s) & (PM_PRESENT | PM_FILE)) == (PM_PRESENT | PM_FILE));
  // After fork the parent's private page is shared with the child until
  // one writes: no longer exclusive.
  int go[2];
  CHECK_OK(pipe(go));
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char c;
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  CHECK_EQ(entry(p) & PM_EXCLUSIVE, 0);
  CHECK((entry(p) & PM_PRESENT) != 0);
  CHECK_EQ(write(go[1], "x", 1), 1);
  int status;
  CHECK_EQ(waitpid(child, &status, 0), child);
  close(go[0]);
  close(go[1]);
  munmap(p, page);
  munmap(s, page);
}

// Whether the kernel tracks soft-dirty pages: a new area says "sd" in its
// VmFlags (as the selftests ask). Always on Keel; a Linux built without
// CONFIG_MEM_SOFT_DIRTY does not.
static int soft_dirty_supported(void);

static void soft_dirty(void) {
  if (!soft_dirty_supported()) {
    CHECK(!on_keel());
    TEST_SKIP("soft-dirty pages (this Linux has no CONFIG_MEM_SOFT_DIRTY)");
    return;
  }
  // A new area is soft-dirty as a whole, touched or not.
  char* p = map_anon(4 * page, PROT_READ | PROT_WRITE);
  CHECK((entry(p) & PM_SOFT_DIRTY) != 0);
  CHECK_EQ(entry(p) & PM_PRESENT, 0);
  clear_refs("4");
  for (int i = 0; i < 4; ++i) CHECK_EQ(entry(p + i * page) & PM_SOFT_DIRTY, 0);
  // A read does not make a page soft-dirty; a write does.
  CHECK_EQ(((volatile char*)p)[0], 0);
  CHECK_EQ(entry(p) & PM_SOFT_DIRTY, 0);
  p[page] = 1;
  CHECK((entry(p + page) & PM_SOFT_DIRTY) != 0);
  CHECK_EQ(entry(p) & PM_SOFT_DIRTY, 0);
  // Cleared again, a page written before is clean until written again.
  clear_refs("4\n");
  CHECK_EQ(entry(p + page) & PM_SOFT_DIRTY, 0);
  p[page] = 2;
  CHECK((entry(p + page) & PM_SOFT_DIRTY) != 0);
  // Populating for reading leaves pages clean, for writing marks them.
  clear_refs("4");
  CHECK_OK(madvise(p + 2 * page, page, MADV_POPULATE_READ));
  CHECK((entry(p + 2 * page) & PM_PRESENT) != 0);
  CHECK_EQ(entry(p + 2 * page) & PM_SOFT_DIRTY, 0);
  CHECK_OK(madvise(p + 3 * page, page, MADV_POPULATE_WRITE));
  CHECK((entry(p + 3 * page) & (PM_PRESENT | PM_SOFT_DIRTY)) == (PM_PRESENT | PM_SOFT_DIRTY));
  // A new area after the clear is soft-dirty again.
  char* q = map_anon(page, PROT_READ);
  CHECK((entry(q) & PM_SOFT_DIRTY) != 0);
  munmap(q, page);
  munmap(p, 4 * page);
}

static void clear_refs_errors(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  CHECK(fd >= 0);
  CHECK_ERR(write(fd, "0", 1), EINVAL);
  CHECK_ERR(write(fd, "6", 1), EINVAL);
  CHECK_ERR(write(fd, "-1", 2), EINVAL);
  CHECK_ERR(write(fd, "4x", 2), EINVAL);
  CHECK_ERR(write(fd, "", 0), EINVAL);
  static const char* const kAccepted[] = {"1", "2", "3", "5", " 4 "};
  for (size_t i = 0; i < sizeof(kAccepted) / sizeof(kAccepted[0]); ++i) {
    CHECK_EQ(write(fd, kAccepted[i], strlen(kAccepted[i])), (long)strlen(kAccepted[i]));
  }
  // Only the first 12 bytes count (Linux's PROC_NUMBUF - 1), and so many
  // are taken.
  CHECK_EQ(write(fd, "4                 ", 18), 12);
  close(fd);
  char c;
  fd = open("/proc/self/clear_refs", O_RDWR);
  CHECK(fd >= 0);
  CHECK_ERR(read(fd, &c, 1), EINVAL);
  close(fd);
}

static void populate(void) {
  char* p = map_anon(8 * page, PROT_READ | PROT_WRITE);
  for (int i = 0; i < 8; ++i) CHECK_EQ(entry(p + i * page) & PM_PRESENT, 0);
  CHECK_OK(madvise(p, 4 * page, MADV_POPULATE_READ));
  CHECK_OK(madvise(p + 4 * page, 4 * page, MADV_POPULATE_WRITE));
  for (int i = 0; i < 8; ++i) CHECK((entry(p + i * page) & PM_PRESENT) != 0);
  for (int i = 0; i < 8; ++i) CHECK_EQ(p[i * page], 0);
  CHECK_OK(madvise(p, 0, MADV_POPULATE_WRITE));
  CHECK_ERR(madvise(p + 1, page, MADV_POPULATE_READ), EINVAL);
  // Against the protection: EINVAL, not EFAULT.
  CHECK_OK(mprotect(p, page, PROT_READ));
  CHECK_ERR(madvise(p, page, MADV_POPULATE_WRITE), EINVAL);
  CHECK_OK(madvise(p, page, MADV_POPULATE_READ));
  CHECK_OK(mprotect(p, page, PROT_NONE));
  CHECK_ERR(madvise(p, page, MADV_POPULATE_READ), EINVAL);
  munmap(p, 8 * page);
  // A hole: ENOMEM, after populating what lies before it. (Linux 6.1 goes
  // on past the hole, as Keel does; since 6.10 it stops there.)
  p = map_anon(3 * page, PROT_READ | PROT_WRITE);
  CHECK_OK(munmap(p + page, page));
  CHECK_ERR(madvise(p, 3 * page, MADV_POPULATE_WRITE), ENOMEM);
  CHECK((entry(p) & PM_PRESENT) != 0);
  int major = 0, minor = 0;
  sscanf(linux_release_(), "%d.%d", &major, &minor);
  if (on_keel() || major < 6 || (major == 6 && minor < 10)) {
    CHECK((entry(p + 2 * page) & PM_PRESENT) != 0);
  }
  munmap(p, 3 * page);
  // A file mapping past the file's end: EFAULT (Linux's SIGBUS).
  char path[] = "/tmp/pagemap-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  unlink(path);
  CHECK_EQ(write(fd, "data", 4), 4);
  char* f = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(f != MAP_FAILED);
  CHECK_OK(madvise(f, page, MADV_POPULATE_READ));
  CHECK((entry(f) & (PM_PRESENT | PM_FILE)) == (PM_PRESENT | PM_FILE));
  CHECK_ERR(madvise(f, 2 * page, MADV_POPULATE_READ), EFAULT);
  munmap(f, 2 * page);
  close(fd);
}

// The value in kB of `field` in the smaps block of the area at `addr`, or
// -1; `flags` gets its VmFlags line.
static long smaps_field(const void* addr, const char* field, char* flags, size_t flags_len) {
  FILE* f = fopen("/proc/self/smaps", "r");
  CHECK(f != NULL);
  char line[512];
  char start[32];
  snprintf(start, sizeof(start), "%08lx-", (unsigned long)(uintptr_t)addr);
  int in = 0;
  long value = -1;
  while (fgets(line, sizeof(line), f)) {
    if (strchr(line, '-') && strchr(line, ' ') && strncmp(line, "VmFlags", 7) != 0 &&
        line[0] != ' ' && strstr(line, " kB") == NULL && strncmp(line, "THPeligible", 11) != 0) {
      in = strncmp(line, start, strlen(start)) == 0;
      continue;
    }
    if (!in) continue;
    if (strncmp(line, field, strlen(field)) == 0) sscanf(line + strlen(field), "%ld", &value);
    if (strncmp(line, "VmFlags:", 8) == 0 && flags) snprintf(flags, flags_len, "%s", line + 8);
  }
  fclose(f);
  return value;
}

static int soft_dirty_supported(void) {
  char* p = map_anon(page, PROT_READ);
  char flags[256] = "";
  CHECK_EQ(smaps_field(p, "Size:", flags, sizeof(flags)), page / 1024);
  munmap(p, page);
  return strstr(flags, " sd") != NULL;
}

static void smaps(void) {
  char* p = map_anon(4 * page, PROT_READ | PROT_WRITE);
  p[0] = 1;
  p[2 * page] = 1;
  char flags[256] = "";
  CHECK_EQ(smaps_field(p, "Size:", flags, sizeof(flags)), 4 * page / 1024);
  CHECK_EQ(smaps_field(p, "Rss:", NULL, 0), 2 * page / 1024);
  CHECK_EQ(smaps_field(p, "Pss:", NULL, 0), 2 * page / 1024);
  CHECK_EQ(smaps_field(p, "Private_Dirty:", NULL, 0), 2 * page / 1024);
  CHECK_EQ(smaps_field(p, "Anonymous:", NULL, 0), 2 * page / 1024);
  CHECK_EQ(smaps_field(p, "Swap:", NULL, 0), 0);
  CHECK_EQ(smaps_field(p, "KernelPageSize:", NULL, 0), page / 1024);
  CHECK(strstr(flags, " rd wr ") != NULL);
  CHECK(strstr(flags, " mr mw me ") != NULL);
  CHECK(strstr(flags, " sh") == NULL);
  if (soft_dirty_supported()) {
    CHECK(strstr(flags, " sd") != NULL);
    clear_refs("4");
    CHECK_EQ(smaps_field(p, "Size:", flags, sizeof(flags)), 4 * page / 1024);
    CHECK(strstr(flags, " sd") == NULL);
  }
  munmap(p, 4 * page);
  // A shared mapping shows sh and ms; a read-only one no wr.
  char* s = mmap(NULL, page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  CHECK_EQ(smaps_field(s, "Rss:", flags, sizeof(flags)), 0);
  CHECK(strstr(flags, " rd ") != NULL);
  CHECK(strstr(flags, " wr") == NULL);
  CHECK(strstr(flags, " sh ") != NULL);
  CHECK(strstr(flags, " ms ") != NULL);
  munmap(s, page);
}

int main(void) {
  page = sysconf(_SC_PAGESIZE);
  pagemap = open("/proc/self/pagemap", O_RDONLY);
  CHECK(pagemap >= 0);
  pagemap_reads();
  bits();
  soft_dirty();
  clear_refs_errors();
  populate();
  smaps();
  return 0;
}
