// chmod/fchmod/fchmodat change the permission bits (stat shows them).
#include <fcntl.h>

#include "user/lib/check.h"

static int mode_of(const char* p) {
  struct stat st;
  CHECK_OK(stat(p, &st));
  return st.st_mode & 07777;
}

int main(void) {
  enter_tmpdir();
  write_file("f", "x");
  CHECK_OK(chmod("f", 0600));
  CHECK_EQ(mode_of("f"), 0600);
  CHECK_OK(chmod("f", 04755));
  CHECK_EQ(mode_of("f") & 0777, 0755);
  int fd = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(fchmod(fd, 0444));
  CHECK_EQ(mode_of("f"), 0444);
  CHECK_OK(fchmodat(AT_FDCWD, "f", 0640, 0));
  CHECK_EQ(mode_of("f"), 0640);
  CHECK_OK(mkdir("d", 0755));
  CHECK_OK(chmod("d", 0700));
  CHECK_EQ(mode_of("d"), 0700);
  struct stat st;
  CHECK_OK(stat("d", &st));
  CHECK(S_ISDIR(st.st_mode));  // the type bits are untouched
  CHECK_ERR(chmod("missing", 0644), ENOENT);
  CHECK_ERR(fchmod(-1, 0644), EBADF);
  return 0;
}
