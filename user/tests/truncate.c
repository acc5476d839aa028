// ftruncate/truncate grow (zero-filled) and shrink; errors.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_EQ(write(fd, "abcdef", 6), 6);
  CHECK_OK(ftruncate(fd, 3));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 3);
  CHECK_OK(ftruncate(fd, 10000));
  char buf[10000];
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), 10000);
  CHECK(memcmp(buf, "abc", 3) == 0);
  for (int i = 3; i < 10000; ++i) CHECK_EQ(buf[i], 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);  // offset unchanged
  CHECK_OK(truncate("f", 1));
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_size, 1);
  CHECK_ERR(ftruncate(fd, -1), EINVAL);
  int ro = CHECK_OK(open("f", O_RDONLY));
  int err = ftruncate(ro, 0) == -1 ? errno : 0;
  CHECK(err == EINVAL || err == EBADF);
  CHECK_OK(mkdir("d", 0755));
  CHECK_ERR(truncate("d", 0), EISDIR);
  CHECK_ERR(truncate("missing", 0), ENOENT);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(ftruncate(p[1], 0), EINVAL);
  return 0;
}
