// rename/renameat2: move, replace, RENAME_NOREPLACE, RENAME_EXCHANGE, errors.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static void expect_content(const char* path, const char* want) {
  char buf[64] = {0};
  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  CHECK(fgets(buf, sizeof buf, f) != NULL || want[0] == 0);
  fclose(f);
  CHECK(strcmp(buf, want) == 0);
}

int main(void) {
  enter_tmpdir();
  write_file("a", "A");
  write_file("b", "B");
  CHECK_OK(rename("a", "c"));
  struct stat st;
  CHECK_ERR(stat("a", &st), ENOENT);
  expect_content("c", "A");
  CHECK_OK(rename("c", "b"));  // replaces b
  expect_content("b", "A");
  write_file("x", "X");
  CHECK_ERR(renameat2(AT_FDCWD, "x", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
  struct statfs sf;
  CHECK_OK(statfs(".", &sf));
  // (0xEF53 is also ext3 and ext4 on Linux, which can exchange: Keel's is ext2.)
  if (sf.f_type == 0xEF53 && on_keel()) {
    // ext2 has no RENAME_EXCHANGE (Linux's ext2_rename: EINVAL); the same
    // end state by hand.
    CHECK_ERR(renameat2(AT_FDCWD, "x", AT_FDCWD, "b", RENAME_EXCHANGE), EINVAL);
    CHECK_OK(rename("b", "t"));
    CHECK_OK(rename("x", "b"));
    CHECK_OK(rename("t", "x"));
  } else {
    CHECK_OK(renameat2(AT_FDCWD, "x", AT_FDCWD, "b", RENAME_EXCHANGE));
  }
  expect_content("b", "X");
  expect_content("x", "A");
  CHECK_ERR(renameat2(AT_FDCWD, "x", AT_FDCWD, "nope", RENAME_EXCHANGE), ENOENT);
  CHECK_ERR(renameat2(AT_FDCWD, "x", AT_FDCWD, "b", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
  CHECK_OK(mkdir("d", 0755));
  CHECK_OK(mkdir("d/e", 0755));
  CHECK_ERR(rename("d", "d/e/f"), EINVAL);  // into itself
  CHECK_ERR(rename("x", "d"), EISDIR);
  CHECK_ERR(rename("d", "x"), ENOTDIR);
  CHECK_OK(mkdir("empty", 0755));
  CHECK_OK(rename("d/e", "empty"));  // a directory replaces an empty one
  CHECK_ERR(stat("d/e", &st), ENOENT);
  CHECK_OK(mkdir("full", 0755));
  write_file("full/f", "1");
  CHECK_OK(mkdir("d/g", 0755));
  int err = rename("d/g", "full") == -1 ? errno : 0;
  CHECK(err == ENOTEMPTY || err == EEXIST);
  CHECK_OK(rename("x", "x"));  // same file: no-op
  CHECK_ERR(rename("missing", "y"), ENOENT);
  return 0;
}
