// readv/writev gather and scatter in order; preadv/pwritev; EINVAL limits.
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>

#include <sys/syscall.h>
#include <sys/uio.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
  CHECK_EQ(writev(fd, w, 3), 6);
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  char x[3] = {0}, y[10] = {0};
  struct iovec r[2] = {{x, 3}, {y, 10}};
  CHECK_EQ(readv(fd, r, 2), 6);
  CHECK(memcmp(x, "abc", 3) == 0);
  CHECK(memcmp(y, "def", 3) == 0);
  CHECK_EQ(pwritev(fd, w, 1, 4), 2);
  CHECK_EQ(preadv(fd, r, 2, 2), 4);
  CHECK(memcmp(x, "cda", 3) == 0);
  CHECK_EQ(y[0], 'b');
  CHECK_EQ(writev(fd, w, 0), 0);
  CHECK_ERR(writev(fd, w, -1), EINVAL);
  static struct iovec many[IOV_MAX + 1];
  for (int i = 0; i <= IOV_MAX; ++i) many[i] = (struct iovec){"z", 1};
  CHECK_ERR(writev(fd, many, IOV_MAX + 1), EINVAL);
  // Linux uses the low 32 bits of the unsigned long vlen (bad_pointer_sweep).
  CHECK_EQ(syscall(SYS_writev, fd, many, 1ul << 32), 0);
  CHECK_EQ(syscall(SYS_readv, fd, many, (1ul << 40) + 1), 0);  // one entry, at the end
  CHECK_EQ(writev(fd, many, IOV_MAX), IOV_MAX);
  struct iovec bad[2] = {{"ok", 2}, {(void*)0x1000, 4}};
  CHECK_EQ(writev(fd, bad, 2), 2);  // stops at the bad buffer
  struct iovec allbad[1] = {{(void*)0x1000, 4}};
  CHECK_ERR(writev(fd, allbad, 1), EFAULT);
  return 0;
}
