// link/symlink/readlink: hard link counts, symlink resolution, readlink's
// truncation without NUL, EINVAL on a non-link, ELOOP, dangling links.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "data");
  CHECK_OK(link("f", "h"));
  struct stat a, b;
  CHECK_OK(stat("f", &a));
  CHECK_OK(stat("h", &b));
  CHECK_EQ(a.st_ino, b.st_ino);
  CHECK_EQ(a.st_nlink, 2);
  CHECK_ERR(link("f", "h"), EEXIST);
  CHECK_ERR(link("missing", "z"), ENOENT);
  CHECK_OK(mkdir("d", 0755));
  CHECK_ERR(link("d", "d2"), EPERM);
  CHECK_OK(unlink("f"));
  CHECK_OK(stat("h", &b));
  CHECK_EQ(b.st_nlink, 1);

  CHECK_OK(symlink("h", "s"));
  char buf[64];
  memset(buf, 'Z', sizeof buf);
  CHECK_EQ(readlink("s", buf, sizeof buf), 1);
  CHECK_EQ(buf[0], 'h');
  CHECK_EQ(buf[1], 'Z');  // no NUL added
  CHECK_OK(symlink("a/long/target/path", "long"));
  CHECK_EQ(readlink("long", buf, 4), 4);  // truncated
  CHECK(memcmp(buf, "a/lo", 4) == 0);
  CHECK_ERR(readlink("h", buf, sizeof buf), EINVAL);
  CHECK_ERR(readlink("s", buf, 0), EINVAL);
  int fd = CHECK_OK(open("s", O_RDONLY));
  char data[8] = {0};
  CHECK_EQ(read(fd, data, sizeof data), 4);
  CHECK_OK(symlink("nowhere", "dangling"));
  CHECK_ERR(open("dangling", O_RDONLY), ENOENT);
  CHECK_OK(lstat("dangling", &b));
  CHECK(S_ISLNK(b.st_mode));
  CHECK_OK(symlink("loop", "loop"));
  CHECK_ERR(open("loop", O_RDONLY), ELOOP);
  CHECK_ERR(open("s", O_RDONLY | O_NOFOLLOW), ELOOP);
  CHECK_ERR(symlink("x", "s"), EEXIST);
  // A symlink to a directory in the middle of a path.
  CHECK_OK(symlink("d", "dl"));
  write_file("dl/inner", "i");
  CHECK_OK(stat("d/inner", &b));
  CHECK_EQ(readlinkat(AT_FDCWD, "dl", buf, sizeof buf), 1);
  return 0;
}
