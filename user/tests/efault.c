// Bad user pointers give EFAULT, never a crash: NULL, a kernel address and an
// unmapped address, for read/write/stat/open/pipe and friends.
#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "data");
  void* unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(unmapped != MAP_FAILED);
  CHECK_OK(munmap(unmapped, 4096));
  void* bad[3] = {NULL, (void*)(uintptr_t)0xffffffff81000000ull, unmapped};
  int fd = CHECK_OK(open("f", O_RDWR));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(write(p[1], "zz", 2), 2);
  for (int i = 0; i < 3; ++i) {
    CHECK_ERR(syscall(SYS_read, fd, bad[i], 4), EFAULT);
    CHECK_ERR(syscall(SYS_write, fd, bad[i], 4), EFAULT);
    CHECK_ERR(syscall(SYS_read, p[0], bad[i], 1), EFAULT);
    CHECK_ERR(syscall(SYS_open, bad[i], O_RDONLY), EFAULT);
    CHECK_ERR(syscall(SYS_openat, AT_FDCWD, bad[i], O_RDONLY), EFAULT);
    CHECK_ERR(syscall(SYS_stat, bad[i], NULL), EFAULT);
    CHECK_ERR(syscall(SYS_stat, "f", bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_fstat, fd, bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_pipe, bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_mkdir, bad[i], 0755), EFAULT);
    CHECK_ERR(syscall(SYS_chdir, bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_getcwd, bad[i], 100), EFAULT);
    CHECK_ERR(syscall(SYS_readv, fd, bad[i], 1), EFAULT);
    CHECK_ERR(syscall(SYS_uname, bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad[i]), EFAULT);
    CHECK_ERR(syscall(SYS_execve, bad[i], NULL, NULL), EFAULT);
  }
  // The pipe still holds its data (failed reads consumed nothing... or were
  // not attempted), and the file is unchanged.
  char buf[8] = {0};
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 4);
  CHECK(memcmp(buf, "data", 4) == 0);
  // argv with a bad element.
  char* argv[] = {"x", (char*)unmapped, NULL};
  CHECK_ERR(execve("/bin/sh", argv, NULL), EFAULT);
  return 0;
}
