// getdents (the legacy call, struct linux_dirent: d_ino, d_off, d_reclen, the
// NUL-terminated name, then d_type in the record's last byte): the same
// entries, inodes and offsets as getdents64; records 8-byte aligned; d_off
// resumes the listing with lseek; a buffer too small for one entry is EINVAL;
// EBADF, ENOTDIR, EFAULT.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

struct linux_dirent {
  unsigned long d_ino;
  unsigned long d_off;
  unsigned short d_reclen;
  char d_name[];
};

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

enum { kMax = 64 };
struct entry {
  char name[256];
  uint64_t ino;
  int64_t off;
  unsigned char type;
};

// Lists fd from its current offset with getdents (legacy) or getdents64.
static int list(int fd, int legacy, struct entry* out, int max) {
  static char buf[4096];
  int n = 0;
  for (;;) {
    long got = syscall(legacy ? SYS_getdents : SYS_getdents64, fd, buf, sizeof buf);
    CHECK(got >= 0);
    if (got == 0) return n;
    for (long pos = 0; pos < got;) {
      CHECK(n < max);
      struct entry* e = &out[n++];
      if (legacy) {
        struct linux_dirent* d = (struct linux_dirent*)(buf + pos);
        size_t len = strlen(d->d_name);
        CHECK_EQ(d->d_reclen, (18 + len + 2 + 7) & ~7ul);  // ALIGN(name + NUL + type, 8)
        snprintf(e->name, sizeof e->name, "%s", d->d_name);
        e->ino = d->d_ino;
        e->off = (int64_t)d->d_off;
        e->type = (unsigned char)buf[pos + d->d_reclen - 1];
        pos += d->d_reclen;
      } else {
        struct linux_dirent64* d = (struct linux_dirent64*)(buf + pos);
        snprintf(e->name, sizeof e->name, "%s", d->d_name);
        e->ino = d->d_ino;
        e->off = d->d_off;
        e->type = d->d_type;
        pos += d->d_reclen;
      }
    }
  }
}

int main(void) {
  enter_tmpdir();
  write_file("a", "x");
  write_file("bb", "x");
  CHECK_OK(mkdir("sub", 0755));
  CHECK_OK(symlink("a", "ln"));
  char longname[201];
  memset(longname, 'n', 200);
  longname[200] = '\0';
  write_file(longname, "x");
  int fd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  static struct entry old[kMax], new[kMax];
  int n = list(fd, 1, old, kMax);
  CHECK_EQ(n, 7);
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_EQ(list(fd, 0, new, kMax), n);
  int found = 0;
  for (int i = 0; i < n; ++i) {
    CHECK(strcmp(old[i].name, new[i].name) == 0);
    CHECK_EQ(old[i].ino, new[i].ino);
    CHECK_EQ(old[i].off, new[i].off);
    CHECK_EQ(old[i].type, new[i].type);
    struct stat st;
    CHECK_OK(lstat(old[i].name, &st));
    CHECK_EQ(old[i].ino, st.st_ino);
    const char* s = old[i].name;
    int want = !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "sub") ? DT_DIR
               : !strcmp(s, "ln")                                       ? DT_LNK
                                                                        : DT_REG;
    CHECK_EQ(old[i].type, want);
    found |= !strcmp(s, longname);
  }
  CHECK(found);
  // d_off resumes after its entry.
  CHECK_OK(lseek(fd, old[2].off, SEEK_SET));
  static struct entry rest[kMax];
  CHECK_EQ(list(fd, 1, rest, kMax), n - 3);
  CHECK(strcmp(rest[0].name, old[3].name) == 0);
  // A buffer for exactly one record takes one; a smaller one none (EINVAL).
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  static char buf[512];  // low in memory: buf + 2 GiB is still user space
  struct linux_dirent* d = (struct linux_dirent*)buf;
  CHECK_ERR(syscall(SYS_getdents, fd, buf, 10), EINVAL);
  CHECK_ERR(syscall(SYS_getdents, fd, buf, 0x80000000u), EINVAL);  // count is an int
  long first = CHECK_OK(syscall(SYS_getdents, fd, buf, sizeof buf));
  CHECK(first >= d->d_reclen);
  unsigned short reclen = d->d_reclen;
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_ERR(syscall(SYS_getdents, fd, buf, reclen - 1), EINVAL);
  CHECK_EQ(syscall(SYS_getdents, fd, buf, reclen), reclen);
  // At the end: 0.
  CHECK_OK(lseek(fd, old[n - 1].off, SEEK_SET));
  CHECK_EQ(syscall(SYS_getdents, fd, buf, sizeof buf), 0);
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_ERR(syscall(SYS_getdents, fd, (void*)8, sizeof buf), EFAULT);
  CHECK_ERR(syscall(SYS_getdents, -1, buf, sizeof buf), EBADF);
  CHECK_ERR(syscall(SYS_getdents, 999, buf, sizeof buf), EBADF);
  int file = CHECK_OK(open("a", O_RDONLY));
  CHECK_ERR(syscall(SYS_getdents, file, buf, sizeof buf), ENOTDIR);
  int opath = CHECK_OK(open(".", O_PATH | O_DIRECTORY));
  CHECK_ERR(syscall(SYS_getdents, opath, buf, sizeof buf), EBADF);
  close(opath);
  close(file);
  close(fd);
  printf("getdents_legacy: %d entries\n", n);
  return 0;
}
