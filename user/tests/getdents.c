// getdents64 lists ".", ".." and every entry exactly once with d_type;
// opendir/readdir give the same; ENOTDIR on a file.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int main(void) {
  enter_tmpdir();
  char name[32];
  for (int i = 0; i < 40; ++i) {
    snprintf(name, sizeof name, "file%02d", i);
    write_file(name, "x");
  }
  CHECK_OK(mkdir("sub", 0755));
  CHECK_OK(symlink("file00", "link"));
  int fd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  int seen[40] = {0}, dots = 0, sub = 0, link = 0, total = 0;
  char buf[256];  // small: forces several calls
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    CHECK(n >= 0);
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64* d = (struct linux_dirent64*)(buf + off);
      CHECK(d->d_reclen > 0 && d->d_reclen % 8 == 0);
      ++total;
      int i;
      if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
        ++dots;
        CHECK_EQ(d->d_type, DT_DIR);
      } else if (strcmp(d->d_name, "sub") == 0) {
        ++sub;
        CHECK_EQ(d->d_type, DT_DIR);
      } else if (strcmp(d->d_name, "link") == 0) {
        ++link;
        CHECK_EQ(d->d_type, DT_LNK);
      } else {
        CHECK(sscanf(d->d_name, "file%d", &i) == 1 && i >= 0 && i < 40);
        CHECK_EQ(d->d_type, DT_REG);
        ++seen[i];
      }
      off += d->d_reclen;
    }
  }
  CHECK_EQ(dots, 2);
  CHECK_EQ(sub, 1);
  CHECK_EQ(link, 1);
  for (int i = 0; i < 40; ++i) CHECK_EQ(seen[i], 1);
  CHECK_EQ(total, 44);
  // A buffer too small for one entry.
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_ERR(syscall(SYS_getdents64, fd, buf, 8), EINVAL);
  // Linux keeps the room left in an int: a count above INT_MAX fits nothing
  // (bad_pointer_sweep). (A buffer low in memory, so that the whole count
  // stays inside user space: else it is EFAULT.)
  static char low[256];
  CHECK_ERR(syscall(SYS_getdents64, fd, low, 0x80000000u), EINVAL);
  CHECK_ERR(syscall(SYS_getdents64, fd, low, 0xffffffffu), EINVAL);
  int f = CHECK_OK(open("file00", O_RDONLY));
  CHECK_ERR(syscall(SYS_getdents64, f, buf, sizeof buf), ENOTDIR);
  DIR* dir = opendir(".");
  CHECK(dir != NULL);
  int count = 0;
  while (readdir(dir) != NULL) ++count;
  CHECK_EQ(count, 44);
  closedir(dir);
  return 0;
}
