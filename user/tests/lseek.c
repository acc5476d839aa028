// lseek: SEEK_SET/CUR/END, holes read as zeros, EINVAL and ESPIPE.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
  char c;
  CHECK_EQ(read(fd, &c, 1), 1);
  CHECK_EQ(c, '3');
  CHECK_EQ(lseek(fd, 2, SEEK_CUR), 6);
  CHECK_EQ(lseek(fd, -1, SEEK_END), 9);
  CHECK_EQ(read(fd, &c, 1), 1);
  CHECK_EQ(c, '9');
  CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL);
  CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
  CHECK_ERR(lseek(fd, 0, 17), EINVAL);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);  // unchanged by the failures
  // Past the end: a hole.
  CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
  CHECK_EQ(read(fd, &c, 1), 0);
  CHECK_EQ(write(fd, "E", 1), 1);
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 101);
  char hole[90];
  CHECK_EQ(pread(fd, hole, sizeof hole, 10), sizeof hole);
  for (size_t i = 0; i < sizeof hole; ++i) CHECK_EQ(hole[i], 0);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
  CHECK_ERR(lseek(-1, 0, SEEK_SET), EBADF);
  return 0;
}
