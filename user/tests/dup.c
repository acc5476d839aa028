// dup/dup2/dup3/fcntl(F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/SETFD, F_GETFL/SETFL)
// and close_range (with CLOSE_RANGE_UNSHARE, and unshare(CLONE_FILES));
// duplicates share the file offset.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

int main(void) {
  enter_tmpdir();
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
  int d = CHECK_OK(dup(fd));
  CHECK(d != fd);
  CHECK_EQ(write(fd, "abc", 3), 3);
  CHECK_EQ(lseek(d, 0, SEEK_CUR), 3);  // shared offset
  CHECK_EQ(dup2(fd, 50), 50);
  CHECK_EQ(lseek(50, 0, SEEK_CUR), 3);
  CHECK_EQ(dup2(fd, fd), fd);
  CHECK_ERR(dup3(fd, fd, 0), EINVAL);
  CHECK_EQ(dup3(fd, 51, O_CLOEXEC), 51);
  CHECK_EQ(fcntl(51, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(fcntl(50, F_GETFD), 0);
  CHECK_ERR(dup3(fd, 52, O_RDONLY | 0x4), EINVAL);
  CHECK_EQ(fcntl(fd, F_DUPFD, 60), 60);
  CHECK_EQ(fcntl(fd, F_DUPFD, 60), 61);
  CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 0) >= 0, 1);
  CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  CHECK_EQ(fcntl(d, F_GETFD), 0);  // per descriptor
  CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
  CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
  CHECK(fcntl(d, F_GETFL) & O_NONBLOCK);  // per open file
  // dup2 onto an open descriptor closes it first.
  int other = CHECK_OK(open("f", O_RDONLY));
  CHECK_EQ(dup2(fd, other), other);
  CHECK_EQ(fcntl(other, F_GETFL) & O_ACCMODE, O_RDWR);
  // close_range closes [60, ~0].
  CHECK_OK(syscall(SYS_close_range, 60, ~0u, 0));
  CHECK_ERR(fcntl(60, F_GETFD), EBADF);
  CHECK_ERR(fcntl(61, F_GETFD), EBADF);
  CHECK_OK(fcntl(50, F_GETFD));
  CHECK_OK(syscall(SYS_close_range, 50, 51, CLOSE_RANGE_CLOEXEC));
  CHECK_EQ(fcntl(50, F_GETFD), FD_CLOEXEC);
  CHECK_ERR(syscall(SYS_close_range, 10, 5, 0), EINVAL);
  CHECK_ERR(syscall(SYS_close_range, 0, ~0u, 0x80), EINVAL);
  // CLOSE_RANGE_UNSHARE in a child sharing the table (CLONE_FILES): the
  // child closes in its own copy; the parent's descriptors stay open.
  CHECK_OK(fcntl(50, F_SETFD, 0));
  pid_t child = CHECK_OK(syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0));
  if (child == 0) {
    if (syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_UNSHARE) != 0) _exit(1);
    if (fcntl(50, F_GETFD) != -1 || errno != EBADF) _exit(2);
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK_EQ(status, 0);
  CHECK_EQ(fcntl(50, F_GETFD), 0);
  // UNSHARE with CLOEXEC: the marks land in the copy only.
  child = CHECK_OK(syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0));
  if (child == 0) {
    if (syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0) _exit(1);
    if (fcntl(50, F_GETFD) != FD_CLOEXEC) _exit(2);
    _exit(0);
  }
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK_EQ(status, 0);
  CHECK_EQ(fcntl(50, F_GETFD), 0);
  // unshare(CLONE_FILES): a child's later close no longer reaches the parent.
  child = CHECK_OK(syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0));
  if (child == 0) {
    if (unshare(CLONE_FILES) != 0) _exit(1);
    if (close(50) != 0) _exit(2);
    _exit(0);
  }
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK_EQ(status, 0);
  CHECK_EQ(fcntl(50, F_GETFD), 0);
  CHECK_ERR(dup(-1), EBADF);
  CHECK_ERR(dup2(-1, 5), EBADF);
  CHECK_ERR(dup2(fd, -1), EBADF);
  CHECK_ERR(fcntl(fd, 9999), EINVAL);
  return 0;
}
