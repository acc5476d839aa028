// sys_execveat(2): a path relative to a directory descriptor, the file open at a
// descriptor itself (AT_EMPTY_PATH, also through O_PATH), absolute paths
// that ignore the descriptor, the name the new program gets (AT_EXECFN:
// "/dev/fd/N/path" or "/dev/fd/N", as Linux), and the errors: unknown flags,
// an empty path without AT_EMPTY_PATH, bad or non-directory descriptors,
// AT_SYMLINK_NOFOLLOW on a symlink, a file without execute permission.
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static int sys_execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                        int flags) {
  return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

// Runs execveat in a child that reports through its exit status: 0 when the
// new program saw AT_EXECFN == want, else the errno of a failed execveat
// plus 100.
static int run(int dirfd, const char* path, int flags, const char* want) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char* argv[] = {"execveat", "child", (char*)want, NULL};
    char* envp[] = {NULL};
    sys_execveat(dirfd, path, argv, envp, flags);
    _exit(100 + errno);
  }
  int st;
  CHECK_EQ(waitpid(pid, &st, 0), pid);
  CHECK(WIFEXITED(st));
  return WEXITSTATUS(st);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    const char* execfn = (const char*)getauxval(AT_EXECFN);
    if (execfn == NULL || strcmp(execfn, argv[2]) != 0) {
      fprintf(stderr, "AT_EXECFN %s, want %s\n", execfn ? execfn : "(none)", argv[2]);
      return 3;
    }
    return 0;
  }
  char exe[PATH_MAX];
  ssize_t n = CHECK_OK(readlink("/proc/self/exe", exe, sizeof exe - 1));
  exe[n] = 0;
  char dir_buf[PATH_MAX], base_buf[PATH_MAX];
  strcpy(dir_buf, exe);
  strcpy(base_buf, exe);
  const char* dir = dirname(dir_buf);
  const char* base = basename(base_buf);
  int dirfd = CHECK_OK(open(dir, O_RDONLY | O_DIRECTORY));
  char want[PATH_MAX + 32];
  // Relative to a directory descriptor.
  snprintf(want, sizeof want, "/dev/fd/%d/%s", dirfd, base);
  CHECK_EQ(run(dirfd, base, 0, want), 0);
  // An absolute path ignores the descriptor, even a bad one.
  CHECK_EQ(run(9999, exe, 0, exe), 0);
  CHECK_EQ(run(AT_FDCWD, exe, 0, exe), 0);
  // The file open at a descriptor (fexecve), O_PATH too.
  int fd = CHECK_OK(open(exe, O_RDONLY));
  snprintf(want, sizeof want, "/dev/fd/%d", fd);
  CHECK_EQ(run(fd, "", AT_EMPTY_PATH, want), 0);
  int pfd = CHECK_OK(open(exe, O_PATH));
  snprintf(want, sizeof want, "/dev/fd/%d", pfd);
  CHECK_EQ(run(pfd, "", AT_EMPTY_PATH, want), 0);
  // Errors.
  char* args[] = {"x", NULL};
  CHECK_ERR(sys_execveat(AT_FDCWD, exe, args, args, 0x2), EINVAL);
  CHECK_ERR(sys_execveat(fd, "", args, args, 0x2), ENOENT);  // the path is checked first
  CHECK_ERR(sys_execveat(fd, "", args, args, 0), ENOENT);
  CHECK_ERR(sys_execveat(9999, base, args, args, 0), EBADF);
  CHECK_ERR(sys_execveat(9999, "", args, args, AT_EMPTY_PATH), EBADF);
  CHECK_ERR(sys_execveat(fd, base, args, args, 0), ENOTDIR);
  CHECK_ERR(sys_execveat(dirfd, "no-such-program", args, args, 0), ENOENT);
  CHECK_ERR(sys_execveat(AT_FDCWD, (const char*)1, args, args, 0), EFAULT);
  enter_tmpdir();
  CHECK_OK(symlink(exe, "link"));
  CHECK_ERR(sys_execveat(AT_FDCWD, "link", args, args, AT_SYMLINK_NOFOLLOW), ELOOP);
  CHECK_EQ(run(AT_FDCWD, "link", 0, "link"), 0);
  write_file("plain", "not a program\n");
  CHECK_ERR(sys_execveat(AT_FDCWD, "plain", args, args, 0), EACCES);
  int here = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
  CHECK_ERR(sys_execveat(here, "plain", args, args, 0), EACCES);
  printf("execveat: ok\n");
  return 0;
}
