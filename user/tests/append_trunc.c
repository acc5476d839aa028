// O_APPEND writes always go to the end; O_TRUNC empties the file.
#include <fcntl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "12345");
  int fd = CHECK_OK(open("f", O_WRONLY | O_APPEND));
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_EQ(write(fd, "ab", 2), 2);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
  CHECK_OK(close(fd));
  struct stat st;
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_size, 7);
  char buf[16] = {0};
  fd = CHECK_OK(open("f", O_RDONLY));
  CHECK_EQ(read(fd, buf, sizeof buf), 7);
  CHECK(strcmp(buf, "12345ab") == 0);
  CHECK_OK(close(fd));
  // Two appenders interleave without overwriting.
  int a = CHECK_OK(open("f", O_WRONLY | O_APPEND));
  int b = CHECK_OK(open("f", O_WRONLY | O_APPEND));
  CHECK_EQ(write(a, "X", 1), 1);
  CHECK_EQ(write(b, "Y", 1), 1);
  CHECK_OK(stat("f", &st));
  CHECK_EQ(st.st_size, 9);
  fd = CHECK_OK(open("f", O_WRONLY | O_TRUNC));
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 0);
  // fcntl can turn O_APPEND on.
  CHECK_EQ(write(fd, "abc", 3), 3);
  CHECK_OK(lseek(fd, 0, SEEK_SET));
  CHECK_OK(fcntl(fd, F_SETFL, O_APPEND));
  CHECK(fcntl(fd, F_GETFL) & O_APPEND);
  CHECK_EQ(write(fd, "d", 1), 1);
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 4);
  return 0;
}
