// splice(2), tee(2), vmsplice(2): file to pipe (at an offset and at the file
// position), pipe to file, pipe to pipe, tee leaving its input in place,
// vmsplice into and out of a pipe; and the errors: bad flags, offsets on a
// pipe (ESPIPE), no pipe at all or O_APPEND output (EINVAL), wrong modes
// (EBADF), one pipe on both sides (EINVAL), SPLICE_F_NONBLOCK on an empty
// pipe (EAGAIN), the end of a pipe (0), a pipe without readers (EPIPE).
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <sys/uio.h>

#include "user/lib/check.h"

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  enter_tmpdir();
  write_file("src", "0123456789abcdef");
  int src = CHECK_OK(open("src", O_RDONLY));
  int p[2];
  CHECK_OK(pipe(p));
  char buf[64];
  // File to pipe at an offset: the offset moves, the file position does not.
  loff_t off = 4;
  CHECK_EQ(splice(src, &off, p[1], NULL, 6, 0), 6);
  CHECK_EQ(off, 10);
  CHECK_EQ(lseek(src, 0, SEEK_CUR), 0);
  CHECK_EQ(read(p[0], buf, sizeof buf), 6);
  CHECK(memcmp(buf, "456789", 6) == 0);
  // At the file position, which moves; at the end of the file, 0.
  CHECK_EQ(splice(src, NULL, p[1], NULL, 100, 0), 16);
  CHECK_EQ(lseek(src, 0, SEEK_CUR), 16);
  CHECK_EQ(splice(src, NULL, p[1], NULL, 100, 0), 0);
  // Pipe to file: at an offset, then at the position.
  int dst = CHECK_OK(open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644));
  off = 2;
  CHECK_EQ(splice(p[0], NULL, dst, &off, 4, 0), 4);
  CHECK_EQ(off, 6);
  CHECK_EQ(splice(p[0], NULL, dst, NULL, 100, 0), 12);  // what the pipe holds
  CHECK_EQ(pread(dst, buf, sizeof buf, 0), 12);
  CHECK(memcmp(buf, "456789abcdef", 12) == 0);
  CHECK_EQ(pread(dst, buf, 4, 2), 4);
  CHECK(memcmp(buf, "6789", 4) == 0);
  // Pipe to pipe, and tee.
  int q[2];
  CHECK_OK(pipe(q));
  CHECK_EQ(write(p[1], "hello", 5), 5);
  CHECK_EQ(tee(p[0], q[1], 100, 0), 5);
  CHECK_EQ(splice(p[0], NULL, q[1], NULL, 3, 0), 3);
  CHECK_EQ(read(q[0], buf, sizeof buf), 8);
  CHECK(memcmp(buf, "hellohel", 8) == 0);
  CHECK_EQ(read(p[0], buf, sizeof buf), 2);
  CHECK(memcmp(buf, "lo", 2) == 0);
  // vmsplice: into a pipe from two segments, out of it into two.
  struct iovec in[2] = {{"ab", 2}, {"cde", 3}};
  CHECK_EQ(vmsplice(p[1], in, 2, 0), 5);
  char x[2], y[8];
  struct iovec outv[2] = {{x, 2}, {y, sizeof y}};
  CHECK_EQ(vmsplice(p[0], outv, 2, 0), 5);
  CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
  // Errors.
  CHECK_EQ(splice(p[0], NULL, dst, NULL, 0, 0), 0);
  CHECK_ERR(splice(p[0], NULL, dst, NULL, 1, 0x10), EINVAL);
  off = 0;
  CHECK_ERR(splice(p[0], &off, dst, NULL, 1, 0), ESPIPE);
  CHECK_ERR(splice(src, NULL, p[1], &off, 1, 0), ESPIPE);
  CHECK_ERR(splice(src, NULL, dst, NULL, 1, 0), EINVAL);
  CHECK_ERR(splice(p[1], NULL, dst, NULL, 1, 0), EBADF);
  CHECK_ERR(splice(src, NULL, p[0], NULL, 1, 0), EBADF);
  CHECK_ERR(splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL);
  CHECK_ERR(splice(9999, NULL, p[1], NULL, 1, 0), EBADF);
  CHECK_ERR(splice(src, (loff_t*)1, p[1], NULL, 1, 0), EFAULT);
  off = -1;
  CHECK_ERR(splice(src, &off, p[1], NULL, 1, 0), EINVAL);
  CHECK_ERR(splice(p[0], NULL, dst, NULL, 1, SPLICE_F_NONBLOCK), EAGAIN);
  int app = CHECK_OK(open("dst", O_WRONLY | O_APPEND));
  CHECK_EQ(write(p[1], "z", 1), 1);
  CHECK_ERR(splice(p[0], NULL, app, NULL, 1, 0), EINVAL);
  CHECK_EQ(read(p[0], buf, 1), 1);
  CHECK_ERR(tee(p[0], q[1], 1, 0x10), EINVAL);
  CHECK_EQ(tee(p[0], q[1], 0, 0), 0);
  CHECK_ERR(tee(src, q[1], 1, 0), EINVAL);
  CHECK_ERR(tee(p[0], p[1], 1, 0), EINVAL);
  CHECK_ERR(tee(p[0], q[1], 1, SPLICE_F_NONBLOCK), EAGAIN);
  CHECK_ERR(vmsplice(src, in, 1, 0), EBADF);
  CHECK_ERR(vmsplice(p[1], in, 1, 0x10), EINVAL);
  CHECK_ERR(vmsplice(p[1], (struct iovec*)1, 1, 0), EFAULT);
  CHECK_ERR(vmsplice(p[0], outv, 2, SPLICE_F_NONBLOCK), EAGAIN);
  CHECK_EQ(vmsplice(p[1], in, 0, 0), 0);
  // The end of a pipe: 0. A pipe without readers: EPIPE.
  CHECK_OK(close(p[1]));
  CHECK_EQ(splice(p[0], NULL, dst, NULL, 10, 0), 0);
  CHECK_OK(close(q[0]));
  CHECK_ERR(splice(src, &(loff_t){0}, q[1], NULL, 4, 0), EPIPE);
  printf("splice: ok\n");
  return 0;
}
