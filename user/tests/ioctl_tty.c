// ioctl(TCGETS): ENOTTY on a regular file and a pipe; on a terminal (the
// console when it is stdin, or /dev/tty when there is a controlling
// terminal) it succeeds. Without any terminal only the errors are checked.
#include <fcntl.h>
#include <termios.h>

#include <sys/ioctl.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  write_file("f", "x");
  int f = CHECK_OK(open("f", O_RDONLY));
  struct termios t;
  CHECK_ERR(ioctl(f, TCGETS, &t), ENOTTY);
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(ioctl(p[0], TCGETS, &t), ENOTTY);
  CHECK_ERR(ioctl(-1, TCGETS, &t), EBADF);
  CHECK(!isatty(f));
  int checked = 0;
  for (int fd = 0; fd <= 2; ++fd) {
    if (isatty(fd)) {
      CHECK_OK(ioctl(fd, TCGETS, &t));
      struct winsize ws;
      CHECK_OK(ioctl(fd, TIOCGWINSZ, &ws));
      checked = 1;
    }
  }
  int tty = open("/dev/tty", O_RDWR);
  if (tty >= 0) {
    CHECK_OK(ioctl(tty, TCGETS, &t));
    CHECK_OK(tcgetattr(tty, &t));
    checked = 1;
  } else {
    CHECK(errno == ENXIO || errno == ENOENT || errno == EACCES);
  }
  printf("ioctl_tty: %s\n", checked ? "checked a terminal" : "no terminal here");
  return 0;
}
