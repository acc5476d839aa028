// unlink: the name goes away, an open descriptor keeps the data; errors.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "data");
  int fd = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(unlink("f"));
  struct stat st;
  CHECK_ERR(stat("f", &st), ENOENT);
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_nlink, 0);
  char buf[8] = {0};
  CHECK_EQ(read(fd, buf, sizeof buf), 4);
  CHECK(strcmp(buf, "data") == 0);
  CHECK_ERR(unlink("f"), ENOENT);
  CHECK_OK(mkdir("d", 0755));
  int err = unlink("d") == -1 ? errno : 0;
  CHECK(err == EISDIR || err == EPERM);
  CHECK_OK(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
  write_file("g", "x");
  CHECK_ERR(unlinkat(AT_FDCWD, "g", AT_REMOVEDIR), ENOTDIR);
  CHECK_ERR(unlinkat(AT_FDCWD, "g", 0x1), EINVAL);
  CHECK_OK(unlinkat(AT_FDCWD, "g", 0));
  CHECK_ERR(unlink("missing/x"), ENOENT);
  return 0;
}
