// sendfile: file to file and file to pipe, with and without an offset
// pointer; EINVAL/EBADF.
#include <fcntl.h>

#include <sys/sendfile.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int in = CHECK_OK(open("in", O_RDWR | O_CREAT, 0644));
  static char data[100000];
  for (size_t i = 0; i < sizeof data; ++i) data[i] = (char)(i % 251);
  CHECK_EQ(write(in, data, sizeof data), sizeof data);
  CHECK_OK(lseek(in, 0, SEEK_SET));
  int out = CHECK_OK(open("out", O_RDWR | O_CREAT, 0644));
  long done = 0;
  while (done < (long)sizeof data) {
    long n = CHECK_OK(sendfile(out, in, NULL, sizeof data - done));
    CHECK(n > 0);
    done += n;
  }
  CHECK_EQ(lseek(in, 0, SEEK_CUR), sizeof data);
  static char back[100000];
  CHECK_EQ(pread(out, back, sizeof back, 0), sizeof back);
  CHECK(memcmp(back, data, sizeof data) == 0);
  // With an offset: the file offset does not move.
  off_t off = 10;
  CHECK_OK(lseek(in, 5, SEEK_SET));
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_EQ(sendfile(p[1], in, &off, 20), 20);
  CHECK_EQ(off, 30);
  CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
  char buf[20];
  CHECK_EQ(read(p[0], buf, 20), 20);
  CHECK(memcmp(buf, data + 10, 20) == 0);
  off = sizeof data;
  CHECK_EQ(sendfile(p[1], in, &off, 20), 0);  // at EOF
  CHECK_ERR(sendfile(p[1], -1, NULL, 1), EBADF);
  int wo = CHECK_OK(open("in", O_WRONLY));
  CHECK_ERR(sendfile(p[1], wo, NULL, 1), EBADF);
  off = -1;
  CHECK_ERR(sendfile(p[1], in, &off, 1), EINVAL);
  // A count that is negative as an ssize_t (bad_pointer_sweep): EINVAL.
  CHECK_ERR(sendfile(p[1], in, NULL, ~(size_t)0), EINVAL);
  CHECK_ERR(sendfile(p[1], in, NULL, (size_t)1 << 63), EINVAL);
  return 0;
}
