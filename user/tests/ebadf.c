// Bad descriptors give EBADF: negative, never opened, closed, out of range.
#include <fcntl.h>
#include <poll.h>

#include <sys/stat.h>

#include "user/lib/check.h"

int main(void) {
  int closed = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_OK(close(closed));
  int fds[] = {-1, 1000, closed, 1 << 30, -1000};
  char buf[4];
  struct stat st;
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; ++i) {
    int fd = fds[i];
    CHECK_ERR(read(fd, buf, 1), EBADF);
    CHECK_ERR(write(fd, buf, 1), EBADF);
    CHECK_ERR(close(fd), EBADF);
    CHECK_ERR(fstat(fd, &st), EBADF);
    CHECK_ERR(lseek(fd, 0, SEEK_SET), EBADF);
    CHECK_ERR(dup(fd), EBADF);
    CHECK_ERR(fcntl(fd, F_GETFL), EBADF);
    CHECK_ERR(fchdir(fd), EBADF);
    CHECK_ERR(ftruncate(fd, 0), EBADF);
    CHECK_ERR(fsync(fd), EBADF);
    CHECK_ERR(pread(fd, buf, 1, 0), EBADF);
  }
  CHECK_ERR(openat(1000, "x", O_RDONLY), EBADF);
  CHECK_ERR(fstatat(1000, "x", &st, 0), EBADF);
  // A relative path with a non-directory fd: ENOTDIR.
  int f = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK_ERR(openat(f, "x", O_RDONLY), ENOTDIR);
  // An absolute path ignores the directory fd.
  CHECK_OK(openat(1000, "/dev/null", O_RDONLY));
  return 0;
}
