// chroot: path walks of the process start at the new root and ".." stops
// there (absolute symlinks too); the working directory is left where it was;
// nested chroots; children inherit the root. Errors in Linux's order: the
// path (EFAULT, ENAMETOOLONG, ENOENT, ENOTDIR, ELOOP), search permission
// (EACCES), then the privilege (EPERM without CAP_SYS_CHROOT).
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static void wait_ok(pid_t pid) {
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void read_is(const char* path, const char* want) {
  char buf[64] = {0};
  int fd = CHECK_OK(open(path, O_RDONLY));
  CHECK_EQ(read(fd, buf, sizeof buf - 1), (long)strlen(want));
  close(fd);
  CHECK(strcmp(buf, want) == 0);
}

static void jailed(void) {
  CHECK_OK(chroot("jail"));
  // The working directory stays outside the new root.
  read_is("outside", "out");
  CHECK_OK(chdir("/"));
  char cwd[PATH_MAX];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, "/") == 0);
  read_is("/inside", "in");
  read_is("inside", "in");
  CHECK_ERR(open("/outside", O_RDONLY), ENOENT);
  read_is("/../inside", "in");  // ".." at the root is the root
  read_is("../../inside", "in");
  read_is("/sub/../../inside", "in");
  read_is("/abs", "in");  // an absolute symlink resolves in the new root
  CHECK_OK(chdir("sub"));
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(strcmp(cwd, "/sub") == 0);
  pid_t pid = fork();  // inherited
  CHECK(pid >= 0);
  if (pid == 0) {
    int fd = open("/inside", O_RDONLY);
    _exit(fd >= 0 && access("/outside", F_OK) != 0 ? 0 : 1);
  }
  wait_ok(pid);
  // Nested: relative to the current root.
  CHECK_OK(chroot("/sub"));
  read_is("/f", "f");
  CHECK_ERR(open("/inside", O_RDONLY), ENOENT);
  CHECK_OK(chroot("."));  // the working directory (/sub itself)
  read_is("/f", "f");
}

static void errors_as_root(void) {
  char longpath[PATH_MAX + 16];
  memset(longpath, 'x', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  CHECK_ERR(syscall(SYS_chroot, NULL), EFAULT);
  CHECK_ERR(syscall(SYS_chroot, (void*)8), EFAULT);
  CHECK_ERR(chroot(longpath), ENAMETOOLONG);
  CHECK_ERR(chroot(""), ENOENT);
  CHECK_ERR(chroot("missing"), ENOENT);
  CHECK_ERR(chroot("missing/x"), ENOENT);
  CHECK_ERR(chroot("outside"), ENOTDIR);
  CHECK_ERR(chroot("outside/"), ENOTDIR);
  CHECK_ERR(chroot("outside/x"), ENOTDIR);
  CHECK_ERR(chroot("loop"), ELOOP);
  CHECK_OK(chroot("noexec"));  // root searches any directory
}

static void errors_unprivileged(void) {
  CHECK_OK(setuid(65534));
  CHECK_ERR(chroot("missing"), ENOENT);  // the path first
  CHECK_ERR(chroot("outside"), ENOTDIR);
  CHECK_ERR(chroot("noexec"), EACCES);    // then search permission
  CHECK_ERR(chroot("locked/x"), EACCES);  // on the way there too
  CHECK_ERR(chroot("jail"), EPERM);       // then the privilege
  CHECK_ERR(chroot("."), EPERM);
  CHECK_ERR(chroot("/"), EPERM);
}

int main(void) {
  if (geteuid() != 0) {
    printf("chroot: not root\n");
    CHECK_ERR(chroot("/"), EPERM);
    return 0;
  }
  enter_tmpdir();
  CHECK_OK(chmod(".", 0755));
  CHECK_OK(mkdir("jail", 0755));
  CHECK_OK(mkdir("jail/sub", 0755));
  write_file("jail/inside", "in");
  write_file("jail/sub/f", "f");
  CHECK_OK(symlink("/inside", "jail/abs"));
  write_file("outside", "out");
  CHECK_OK(mkdir("noexec", 0755));
  CHECK_OK(chmod("noexec", 0666));
  CHECK_OK(mkdir("locked", 0700));
  CHECK_OK(mkdir("locked/x", 0755));
  CHECK_OK(symlink("loop", "loop"));
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    jailed();
    _exit(0);
  }
  wait_ok(pid);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    errors_as_root();
    _exit(0);
  }
  wait_ok(pid);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    errors_unprivileged();
    _exit(0);
  }
  wait_ok(pid);
  // The parent's root is its own.
  read_is("jail/inside", "in");
  CHECK(access("/tmp", F_OK) == 0);
  printf("chroot: ok\n");
  return 0;
}
