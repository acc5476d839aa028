// chdir/fchdir/getcwd: relative paths follow the working directory; ERANGE.
#include <fcntl.h>
#include <limits.h>

#include <sys/syscall.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  char base[PATH_MAX];
  CHECK(getcwd(base, sizeof base) != NULL);
  CHECK(base[0] == '/');
  CHECK_OK(mkdir("a", 0755));
  CHECK_OK(mkdir("a/b", 0755));
  CHECK_OK(chdir("a/b"));
  char cwd[PATH_MAX];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  char want[PATH_MAX + 8];
  snprintf(want, sizeof want, "%s/a/b", base);
  CHECK(strcmp(cwd, want) == 0);
  write_file("here", "1");
  CHECK_OK(chdir(".."));
  struct stat st;
  CHECK_OK(stat("b/here", &st));
  CHECK_OK(chdir("../a/./b/.."));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  snprintf(want, sizeof want, "%s/a", base);
  CHECK(strcmp(cwd, want) == 0);
  int fd = CHECK_OK(open(base, O_RDONLY | O_DIRECTORY));
  CHECK_OK(fchdir(fd));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, base) == 0);
  errno = 0;
  CHECK(getcwd(cwd, 2) == NULL);
  CHECK_EQ(errno, ERANGE);
  CHECK_ERR(syscall(SYS_getcwd, cwd, 0), ERANGE);
  write_file("file", "x");
  CHECK_ERR(chdir("file"), ENOTDIR);
  CHECK_ERR(chdir("missing"), ENOENT);
  int f = CHECK_OK(open("file", O_RDONLY));
  CHECK_ERR(fchdir(f), ENOTDIR);
  CHECK_OK(chdir("/"));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, "/") == 0);
  return 0;
}
