// Pipes: data in order, EOF when writers close, O_NONBLOCK EAGAIN on empty
// and full pipes, a large transfer through a child, FIONREAD.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/ioctl.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(write(p[1], "hello", 5), 5);
  int avail = 0;
  CHECK_OK(ioctl(p[0], FIONREAD, &avail));
  CHECK_EQ(avail, 5);
  char buf[16];
  CHECK_EQ(read(p[0], buf, 3), 3);
  CHECK(memcmp(buf, "hel", 3) == 0);
  CHECK_EQ(read(p[0], buf, sizeof buf), 2);
  CHECK_OK(close(p[1]));
  CHECK_EQ(read(p[0], buf, sizeof buf), 0);  // EOF
  CHECK_OK(close(p[0]));
  CHECK_ERR(write(p[0], "x", 1), EBADF);

  // Non-blocking: empty read and full write.
  CHECK_OK(pipe2(p, O_NONBLOCK));
  CHECK_ERR(read(p[0], buf, 1), EAGAIN);
  static char chunk[4096];
  long total = 0;
  for (;;) {
    long n = write(p[1], chunk, sizeof chunk);
    if (n < 0) {
      CHECK_EQ(errno, EAGAIN);
      break;
    }
    total += n;
    CHECK(total <= 16 << 20);
  }
  CHECK(total >= 4096);
  long cap = CHECK_OK(fcntl(p[1], F_GETPIPE_SZ));
  CHECK_EQ(total, cap);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));

  // 4 MiB through a child, checked byte by byte.
  CHECK_OK(pipe(p));
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    close(p[0]);
    static unsigned char out[65536];
    for (long off = 0; off < (4 << 20); off += sizeof out) {
      for (size_t i = 0; i < sizeof out; ++i) out[i] = (unsigned char)((off + i) * 7);
      if (write(p[1], out, sizeof out) != (long)sizeof out) _exit(1);
    }
    _exit(0);
  }
  CHECK_OK(close(p[1]));
  static unsigned char in[10000];
  long got = 0;
  for (;;) {
    long n = CHECK_OK(read(p[0], in, sizeof in));
    if (n == 0) break;
    for (long i = 0; i < n; ++i) CHECK_EQ(in[i], (unsigned char)((got + i) * 7));
    got += n;
  }
  CHECK_EQ(got, 4 << 20);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERR(pipe2(p, 0x12345), EINVAL);
  return 0;
}
