// fallocate on tmpfs: mode 0 extends the size, FALLOC_FL_KEEP_SIZE does not;
// errors. (ext2 has no fallocate: EOPNOTSUPP, checked where / is ext2.)
#define _GNU_SOURCE
#include <fcntl.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

int main(void) {
  // A file system without fallocate (ext2, as Linux's): EOPNOTSUPP.
  enter_tmpdir();
  struct statfs sf;
  CHECK_OK(statfs(".", &sf));
  // (0xEF53 is also ext3 and ext4 on Linux, which have fallocate: Keel's is ext2.)
  if (sf.f_type == 0xEF53 && on_keel()) {
    int e = CHECK_OK(open("e", O_RDWR | O_CREAT, 0644));
    CHECK_ERR(fallocate(e, 0, 0, 8192), EOPNOTSUPP);
    CHECK_OK(close(e));
  }
  enter_tmpfs_dir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  CHECK_OK(fallocate(fd, 0, 0, 8192));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 8192);
  char c = 1;
  CHECK_EQ(pread(fd, &c, 1, 8000), 1);
  CHECK_EQ(c, 0);
  CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 8192);
  CHECK_OK(posix_fallocate(fd, 0, 100));  // inside: no change
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 8192);
  CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
  CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL);
  int ro = CHECK_OK(open("f", O_RDONLY));
  CHECK_ERR(fallocate(ro, 0, 0, 10), EBADF);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(fallocate(p[1], 0, 0, 10), ESPIPE);
  return 0;
}
