// open/read/write/close on a regular file and their errors.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
  CHECK_EQ(write(fd, "hello world", 11), 11);
  CHECK_OK(close(fd));
  CHECK_ERR(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
  CHECK_ERR(open("missing", O_RDONLY), ENOENT);
  CHECK_ERR(open("f/x", O_RDONLY), ENOTDIR);
  CHECK_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_ERR(open(".", O_WRONLY), EISDIR);
  CHECK_ERR(open("", O_RDONLY), ENOENT);
  fd = CHECK_OK(open("f", O_RDONLY));
  char buf[32] = {0};
  CHECK_EQ(read(fd, buf, 5), 5);
  CHECK(memcmp(buf, "hello", 5) == 0);
  CHECK_EQ(read(fd, buf, sizeof buf), 6);
  CHECK(memcmp(buf, " world", 6) == 0);
  CHECK_EQ(read(fd, buf, sizeof buf), 0);  // EOF
  CHECK_ERR(write(fd, "x", 1), EBADF);     // read-only
  CHECK_OK(close(fd));
  CHECK_ERR(close(fd), EBADF);
  fd = CHECK_OK(open("f", O_WRONLY));
  CHECK_ERR(read(fd, buf, 1), EBADF);  // write-only
  CHECK_EQ(write(fd, "J", 1), 1);      // overwrites from offset 0
  CHECK_OK(close(fd));
  fd = CHECK_OK(open("f", O_RDONLY));
  CHECK_EQ(read(fd, buf, 11), 11);
  CHECK(memcmp(buf, "Jello world", 11) == 0);
  CHECK_OK(close(fd));
  // Lowest free descriptor is reused.
  int a = CHECK_OK(open("f", O_RDONLY));
  int b = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(close(a));
  CHECK_EQ(open("f", O_RDONLY), a);
  CHECK(b > a);
  // Reading a directory.
  int d = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  CHECK_ERR(read(d, buf, 1), EISDIR);
  return 0;
}
