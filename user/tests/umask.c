// umask: returns the old mask, masks the modes of created files and dirs.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  umask(022);
  CHECK_EQ(umask(077), 022);
  int fd = CHECK_OK(open("f", O_CREAT | O_WRONLY, 0666));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_mode & 0777, 0600);
  CHECK_OK(mkdir("d", 0777));
  CHECK_OK(stat("d", &st));
  CHECK_EQ(st.st_mode & 0777, 0700);
  CHECK_EQ(umask(0), 077);
  CHECK_OK(mkdir("e", 0777));
  CHECK_OK(stat("e", &st));
  CHECK_EQ(st.st_mode & 0777, 0777);
  CHECK_EQ(umask(01777), 0);
  CHECK_EQ(umask(022), 0777);  // only the permission bits are kept
  return 0;
}
