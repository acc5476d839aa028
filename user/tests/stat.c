// stat/fstat/lstat/fstatat/statx agree with each other and with the file.
#define _GNU_SOURCE
#include <fcntl.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "12345");
  CHECK_OK(chmod("f", 0640));
  CHECK_OK(symlink("f", "l"));
  CHECK_OK(mkdir("d", 0755));
  struct stat st, fst, lst, ast;
  CHECK_OK(stat("f", &st));
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0640);
  CHECK_EQ(st.st_size, 5);
  CHECK_EQ(st.st_nlink, 1);
  CHECK_EQ(st.st_uid, getuid());
  CHECK(st.st_blksize > 0);
  int fd = CHECK_OK(open("f", O_RDONLY));
  CHECK_OK(fstat(fd, &fst));
  CHECK_EQ(fst.st_ino, st.st_ino);
  CHECK_EQ(fst.st_dev, st.st_dev);
  CHECK_OK(stat("l", &lst));  // follows
  CHECK_EQ(lst.st_ino, st.st_ino);
  CHECK_OK(lstat("l", &lst));
  CHECK(S_ISLNK(lst.st_mode));
  CHECK_EQ(lst.st_size, 1);  // length of "f"
  CHECK(lst.st_ino != st.st_ino);
  CHECK_OK(fstatat(AT_FDCWD, "l", &ast, AT_SYMLINK_NOFOLLOW));
  CHECK_EQ(ast.st_ino, lst.st_ino);
  CHECK_OK(fstatat(fd, "", &ast, AT_EMPTY_PATH));
  CHECK_EQ(ast.st_ino, st.st_ino);
  int dfd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  CHECK_OK(fstatat(dfd, "d", &ast, 0));
  CHECK(S_ISDIR(ast.st_mode));
  CHECK(ast.st_nlink >= 2);
  struct statx sx;
  CHECK_OK(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
  CHECK((sx.stx_mask & (STATX_SIZE | STATX_MODE | STATX_INO)) ==
        (STATX_SIZE | STATX_MODE | STATX_INO));
  CHECK_EQ(sx.stx_size, 5);
  CHECK_EQ(sx.stx_ino, st.st_ino);
  CHECK_EQ(sx.stx_mode, st.st_mode);
  CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
  CHECK(st.st_mtim.tv_sec > 0 || 1);
  CHECK_ERR(stat("missing", &st), ENOENT);
  CHECK_ERR(stat("f/x", &st), ENOTDIR);
  CHECK_ERR(fstatat(AT_FDCWD, "f", &st, 0x12345678), EINVAL);
  CHECK_ERR(statx(AT_FDCWD, "f", 0x40000000, STATX_BASIC_STATS, &sx), EINVAL);
  CHECK_ERR(fstat(-1, &st), EBADF);
  struct stat devnull;
  CHECK_OK(stat("/dev/null", &devnull));
  CHECK(S_ISCHR(devnull.st_mode));
  CHECK_EQ(major(devnull.st_rdev), 1);
  CHECK_EQ(minor(devnull.st_rdev), 3);
  return 0;
}
