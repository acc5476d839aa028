// Bad user pointers give EFAULT, never a crash: NULL, a kernel address and an
// unmapped address, for read/write/stat/open/pipe and friends.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

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
    // CLONE_PARENT_SETTID to a bad address: Linux ignores the failed store
    // and makes the child all the same (Keel said EFAULT; bad_pointer_sweep).
    long child = syscall(SYS_clone, SIGCHLD | CLONE_PARENT_SETTID, 0, bad[i], NULL, 0);
    if (child == 0) _exit(7);
    CHECK(child > 0);
    int status = 0;
    CHECK_EQ(waitpid((pid_t)child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  }
  // clone3's size is checked before its pointer: larger than a page is E2BIG.
  static char big[8192];
  CHECK_ERR(syscall(SYS_clone3, big, sizeof big), E2BIG);
  CHECK_ERR(syscall(SYS_clone3, bad[0], sizeof big), E2BIG);
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
