// Extended attributes on tmpfs: set/get/list/remove in their path, l and f
// forms; XATTR_CREATE (EEXIST) and XATTR_REPLACE (ENODATA); getxattr and
// listxattr with size 0 (the size) and a small buffer (ERANGE); names empty
// or over 255 bytes (ERANGE), without a known namespace (EOPNOTSUPP) or a
// bare prefix (EINVAL); values over 64 KiB (E2BIG); unknown flags
// (EINVAL); user.* only on regular files and directories (EPERM to set on a
// symlink, ENODATA to get); trusted.* hidden from and refused to an
// unprivileged process; security.* writable by root only; write permission
// for user.* (EACCES); EBADF, EFAULT and ENOENT.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// user.*: everything but the privilege rules (tmpfs has them since 6.6).
static void test_user(int fd) {
  // Set, get, replace, create.
  CHECK_OK(setxattr("f", "user.colour", "blue", 4, 0));
  char buf[300];
  CHECK_EQ(getxattr("f", "user.colour", buf, sizeof buf), 4);
  CHECK(memcmp(buf, "blue", 4) == 0);
  CHECK_EQ(getxattr("f", "user.colour", NULL, 0), 4);
  CHECK_ERR(getxattr("f", "user.colour", buf, 3), ERANGE);
  CHECK_ERR(setxattr("f", "user.colour", "red", 3, XATTR_CREATE), EEXIST);
  CHECK_OK(setxattr("f", "user.colour", "green", 5, XATTR_REPLACE));
  CHECK_EQ(fgetxattr(fd, "user.colour", buf, sizeof buf), 5);
  CHECK_ERR(setxattr("f", "user.shape", "x", 1, XATTR_REPLACE), ENODATA);
  CHECK_ERR(setxattr("f", "user.shape", "x", 1, XATTR_CREATE | XATTR_REPLACE), ENODATA);
  CHECK_ERR(setxattr("f", "user.shape", "x", 1, 4), EINVAL);
  CHECK_OK(fsetxattr(fd, "user.shape", "round", 5, XATTR_CREATE));
  CHECK_OK(setxattr("f", "user.empty", NULL, 0, 0));
  CHECK_EQ(getxattr("f", "user.empty", buf, sizeof buf), 0);
  CHECK_ERR(getxattr("f", "user.missing", buf, sizeof buf), ENODATA);

  // List: every name with its NUL.
  ssize_t n = listxattr("f", NULL, 0);
  const char want[] = "user.colour\0user.shape\0user.empty";
  CHECK_EQ(n, (ssize_t)sizeof want);
  CHECK_EQ(listxattr("f", buf, sizeof buf), n);
  // The same names; the order is the kernel's (6.1 keeps them in a list,
  // newer tmpfs in a tree sorted by name).
  for (const char* w = want; w < want + sizeof want; w += strlen(w) + 1) {
    int found = 0;
    for (const char* b = buf; b < buf + n; b += strlen(b) + 1) found |= strcmp(b, w) == 0;
    CHECK(found);
  }
  CHECK_ERR(listxattr("f", buf, 5), ERANGE);
  CHECK_EQ(flistxattr(fd, buf, sizeof buf), n);

  // Names and values.
  CHECK_ERR(setxattr("f", "", "x", 1, 0), ERANGE);
  char longname[300];
  memset(longname, 'a', sizeof longname);
  memcpy(longname, "user.", 5);
  longname[256] = '\0';  // 256 bytes: one too many
  CHECK_ERR(setxattr("f", longname, "x", 1, 0), ERANGE);
  longname[255] = '\0';
  CHECK_OK(setxattr("f", longname, "x", 1, 0));
  CHECK_OK(removexattr("f", longname));
  CHECK_ERR(setxattr("f", "nonamespace", "x", 1, 0), EOPNOTSUPP);
  CHECK_ERR(setxattr("f", "bogus.x", "x", 1, 0), EOPNOTSUPP);
  CHECK_ERR(setxattr("f", "user.", "x", 1, 0), EINVAL);
  char* big = calloc(65537, 1);
  CHECK(big != NULL);
  CHECK_ERR(setxattr("f", "user.big", big, 65537, 0), E2BIG);
  // 64 KiB is allowed (newer kernels than 6.1 may run out of tmpfs's
  // xattr space first: ENOSPC).
  if (setxattr("f", "user.big", big, 65536, 0) == 0) {
    CHECK_EQ(getxattr("f", "user.big", big, 65536), 65536);
    CHECK_OK(removexattr("f", "user.big"));
  } else {
    CHECK(errno == ENOSPC && !on_keel());
  }
  free(big);

  // Remove.
  CHECK_OK(removexattr("f", "user.empty"));
  CHECK_ERR(removexattr("f", "user.empty"), ENODATA);
  CHECK_OK(fremovexattr(fd, "user.shape"));
  CHECK_EQ(listxattr("f", buf, sizeof buf), (ssize_t)sizeof "user.colour");

  // user.* needs a regular file or a directory.
  CHECK_OK(mkdir("d", 0755));
  CHECK_OK(setxattr("d", "user.dir", "1", 1, 0));
  CHECK_EQ(getxattr("d", "user.dir", buf, sizeof buf), 1);
  CHECK_OK(symlink("f", "link"));
  CHECK_ERR(lsetxattr("link", "user.x", "1", 1, 0), EPERM);
  CHECK_ERR(lgetxattr("link", "user.x", buf, sizeof buf), ENODATA);
  CHECK_EQ(getxattr("link", "user.colour", buf, sizeof buf), 5);  // follows the link
  CHECK_EQ(llistxattr("link", buf, sizeof buf), 0);
}

// trusted.* and security.* (tmpfs has them on 6.1 too): as root, then
// unprivileged (in a VM: the build host's sandbox answers otherwise).
static void test_privileged(int user_ok) {
  char buf[300];
  int fd = CHECK_OK(open("g", O_RDWR | O_CREAT | O_TRUNC, 0600));
  CHECK_OK(close(fd));
  CHECK_OK(setxattr("g", "trusted.t", "tt", 2, 0));
  CHECK_OK(setxattr("g", "security.s", "ss", 2, 0));
  CHECK_EQ(getxattr("g", "trusted.t", buf, sizeof buf), 2);
  CHECK_EQ(listxattr("g", buf, sizeof buf), (ssize_t)(sizeof "trusted.t" + sizeof "security.s"));
  if (user_ok) CHECK_OK(setxattr("g", "user.colour", "blue", 4, 0));
  const char* vm = getenv("KEEL_TEST_VM");
  if (!on_keel() && (vm == NULL || strcmp(vm, "1") != 0)) return;
  // The test directory (mkdtemp: 0700) must be searchable by the child; a
  // lookup in it is EACCES until then.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(1);
    char b[100];
    _exit(getxattr("g", "security.s", b, sizeof b) == -1 && errno == EACCES ? 0 : 1);
  }
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  CHECK_OK(chmod(".", 0755));
  pid = CHECK_OK(fork());
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(1);
    char b[100];
    if (user_ok && (getxattr("g", "user.colour", b, sizeof b) != -1 || errno != EACCES)) _exit(2);
    if (user_ok && (setxattr("g", "user.colour", "x", 1, 0) != -1 || errno != EACCES)) _exit(3);
    if (setxattr("g", "trusted.t", "x", 1, 0) != -1 || errno != EPERM) _exit(4);
    if (getxattr("g", "trusted.t", b, sizeof b) != -1 || errno != ENODATA) _exit(5);
    if (getxattr("g", "security.s", b, sizeof b) < 1) _exit(6);
    // Depends on the security modules: Keel has none and refuses as the
    // capability rule does (EPERM); Debian's 6.1, with its modules, allows it.
    int r = setxattr("g", "security.s", "x", 1, 0);
    if (on_keel() && (r != -1 || errno != EPERM)) _exit(7);
    ssize_t want = (ssize_t)sizeof "security.s" + (user_ok ? (ssize_t)sizeof "user.colour" : 0);
    if (listxattr("g", b, sizeof b) != want) _exit(8);
    _exit(0);
  }
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  EXPECTED_DIVERGENCE(
      "an unprivileged setxattr of security.* is EPERM (the capability rule; Keel has no "
      "security modules); Debian's Linux 6.1, with its modules, allows it");
}

int main(void) {
  enter_tmpfs_dir();  // tmpfs's attributes (Keel's ext2 keeps none yet)
  int fd = CHECK_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
  int user_ok = setxattr("f", "user.probe", "", 0, 0) == 0;
  if (user_ok) {
    CHECK_OK(removexattr("f", "user.probe"));
    test_user(fd);
  } else {
    CHECK_EQ(errno, EOPNOTSUPP);
    CHECK(!on_keel());
    CHECK(!REQUIRE_LINUX(6, 6, "user.* extended attributes on tmpfs"));
  }
  test_privileged(user_ok);
  char buf[300];
  // Errors of the arguments.
  CHECK_ERR(fsetxattr(-1, "user.x", "1", 1, 0), EBADF);
  CHECK_ERR(fgetxattr(999, "user.x", buf, sizeof buf), EBADF);
  CHECK_ERR(setxattr("missing", "user.x", "1", 1, 0), ENOENT);
  CHECK_ERR(setxattr("f", (const char*)8, "1", 1, 0), EFAULT);
  CHECK_ERR(setxattr("f", "user.x", (const void*)8, 1, 0), EFAULT);
  CHECK_ERR(getxattr("g", "trusted.t", (void*)8, 10), EFAULT);
  return 0;
}
