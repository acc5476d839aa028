// pread/pwrite use their own offset and leave the file offset alone.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, "abcdef", 6), 6);
  CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
  char buf[8] = {0};
  CHECK_EQ(pread(fd, buf, 3, 2), 3);
  CHECK(memcmp(buf, "cde", 3) == 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1);
  CHECK_EQ(pwrite(fd, "XY", 2, 4), 2);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1);
  CHECK_EQ(pread(fd, buf, 8, 0), 6);
  CHECK(memcmp(buf, "abcdXY", 6) == 0);
  CHECK_EQ(pread(fd, buf, 8, 100), 0);
  CHECK_EQ(pwrite(fd, "Z", 1, 10), 1);  // extends with a hole
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 11);
  CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
  CHECK_ERR(pwrite(fd, buf, 1, -5), EINVAL);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
  CHECK_ERR(pwrite(p[1], buf, 1, 0), ESPIPE);
  return 0;
}
