// mkdir/rmdir and their errors: EEXIST, ENOENT, ENOTEMPTY, ENOTDIR, EINVAL.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  CHECK_OK(mkdir("a", 0755));
  CHECK_ERR(mkdir("a", 0755), EEXIST);
  CHECK_OK(mkdir("a/b", 0755));
  CHECK_ERR(mkdir("x/y", 0755), ENOENT);
  write_file("a/b/f", "x");
  CHECK_ERR(rmdir("a"), ENOTEMPTY);
  CHECK_ERR(rmdir("a/b/f"), ENOTDIR);
  CHECK_ERR(mkdir("a/b/f/g", 0755), ENOTDIR);
  CHECK_ERR(rmdir("a/b/."), EINVAL);
  CHECK_ERR(rmdir("nope"), ENOENT);
  CHECK_OK(unlink("a/b/f"));
  CHECK_OK(rmdir("a/b"));
  CHECK_OK(rmdir("a"));
  struct stat st;
  CHECK_ERR(stat("a", &st), ENOENT);
  CHECK_OK(mkdir("trail/", 0755));
  CHECK_OK(stat("trail", &st));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_OK(mkdirat(AT_FDCWD, "at", 0700));
  CHECK_OK(stat("at", &st));
  CHECK_EQ(st.st_mode & 0777, 0700 & ~0);
  // nlink of a directory counts its subdirectories.
  CHECK_OK(mkdir("p", 0755));
  CHECK_OK(mkdir("p/c1", 0755));
  CHECK_OK(mkdir("p/c2", 0755));
  CHECK_OK(stat("p", &st));
  CHECK_EQ(st.st_nlink, 4);
  return 0;
}
