// openat2(2): the struct open_how checks (size, flags, mode, resolve), and
// each RESOLVE_* flag on a small tree: RESOLVE_BENEATH and RESOLVE_IN_ROOT
// (absolute paths and symlinks, ".."), RESOLVE_NO_SYMLINKS,
// RESOLVE_NO_MAGICLINKS (/proc/self/fd/N) and RESOLVE_NO_XDEV (/proc is a
// mount of its own). Also O_CREAT through a dangling symlink and O_TMPFILE.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static long openat2_(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Opens `path` under `dirfd` with `resolve` and reports whether it is `want`.
static int same_as(int dirfd, const char* path, uint64_t resolve, int want) {
  int fd = (int)CHECK_OK(openat2_(dirfd, path, O_RDONLY | O_CLOEXEC, 0, resolve));
  struct stat a, b;
  CHECK_OK(fstat(fd, &a));
  CHECK_OK(fstat(want, &b));
  CHECK_OK(close(fd));
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void struct_checks(int dirfd) {
  struct {
    struct open_how how;
    uint64_t extra;
  } big = {{.flags = O_RDONLY}, 0};
  CHECK_ERR(syscall(SYS_openat2, dirfd, "a", &big, 23), EINVAL);
  CHECK_ERR(syscall(SYS_openat2, dirfd, "a", &big, 4097), E2BIG);
  int fd = (int)CHECK_OK(syscall(SYS_openat2, dirfd, "a", &big, sizeof big));
  CHECK_OK(close(fd));
  big.extra = 1;  // a field this kernel does not know, set
  CHECK_ERR(syscall(SYS_openat2, dirfd, "a", &big, sizeof big), E2BIG);
  CHECK_ERR(syscall(SYS_openat2, dirfd, "a", (void*)8, sizeof big.how), EFAULT);
  CHECK_ERR(openat2_(dirfd, "a", 1ull << 40, 0, 0), EINVAL);   // unknown flags
  CHECK_ERR(openat2_(dirfd, "a", O_RDONLY, 0, 0x40), EINVAL);  // unknown resolve flags
  CHECK_ERR(openat2_(dirfd, "a", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
  CHECK_ERR(openat2_(dirfd, "a", O_RDONLY, 0644, 0), EINVAL);  // a mode without O_CREAT
  CHECK_ERR(openat2_(dirfd, "new", O_CREAT | O_WRONLY, 010644, 0), EINVAL);
  CHECK_ERR(openat2_(dirfd, "a", O_PATH | O_RDWR, 0, 0), EINVAL);
  CHECK_ERR(openat2_(dirfd, "new", O_CREAT | O_WRONLY, 0644, RESOLVE_CACHED), EAGAIN);
  CHECK_ERR(openat2_(dirfd, "file", O_WRONLY | O_TRUNC, 0, RESOLVE_CACHED), EAGAIN);
  fd = (int)CHECK_OK(openat2_(dirfd, "new", O_CREAT | O_WRONLY | O_CLOEXEC, 0640, 0));
  struct stat st;
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_mode & 0777, 0640 & ~umask(022));
  CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  CHECK_OK(close(fd));
}

// O_CREAT through a dangling symlink creates the name it gives, also in a
// scoped walk; O_TMPFILE makes a file without a name that linkat can name
// (not with O_EXCL).
static void creat_and_tmpfile(int root) {
  CHECK_OK(symlink("made", "root/dangling"));
  CHECK_ERR(openat2_(root, "dangling", O_CREAT | O_WRONLY | O_EXCL, 0600, 0), EEXIST);
  CHECK_ERR(openat2_(root, "dangling", O_CREAT | O_WRONLY | O_NOFOLLOW, 0600, 0), ELOOP);
  int fd = (int)CHECK_OK(openat2_(root, "dangling", O_CREAT | O_WRONLY | O_CLOEXEC, 0600, 0));
  CHECK_OK(close(fd));
  struct stat st;
  CHECK_OK(stat("root/made", &st));
  CHECK_OK(symlink("/made_in_root", "root/escape"));
  fd = (int)CHECK_OK(
      openat2_(root, "escape", O_CREAT | O_WRONLY | O_CLOEXEC, 0600, RESOLVE_IN_ROOT));
  CHECK_OK(close(fd));
  CHECK_OK(stat("root/made_in_root", &st));
  CHECK_ERR(openat2_(root, "escape", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH), EXDEV);

  CHECK_ERR(open("root", O_TMPFILE | O_RDONLY, 0600), EINVAL);
  CHECK_ERR(open("root/file", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
  fd = open("root", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EOPNOTSUPP &&
      EXPECTED_DIVERGENCE(
          "O_TMPFILE is EOPNOTSUPP on Keel's ext2 (tmpfs has it; Linux's ext2 too)")) {
    return;
  }
  CHECK_OK(fd);
  CHECK_EQ(fcntl(fd, F_GETFL) & O_TMPFILE, O_TMPFILE);
  CHECK_OK(fstat(fd, &st));
  CHECK_EQ(st.st_nlink, 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(write(fd, "tmp", 3), 3);
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  CHECK_OK(linkat(AT_FDCWD, link, AT_FDCWD, "root/named", AT_SYMLINK_FOLLOW));
  CHECK_OK(stat("root/named", &st));
  CHECK_EQ(st.st_nlink, 1);
  CHECK_EQ(st.st_size, 3);
  CHECK_OK(close(fd));
  fd = CHECK_OK(open("root", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600));
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  CHECK_ERR(linkat(AT_FDCWD, link, AT_FDCWD, "root/never", AT_SYMLINK_FOLLOW), ENOENT);
  CHECK_ERR(linkat(fd, "", AT_FDCWD, "root/never", AT_EMPTY_PATH), ENOENT);
  CHECK_OK(close(fd));
}

int main(void) {
  enter_tmpdir();
  CHECK_OK(mkdir("root", 0755));
  CHECK_OK(mkdir("root/a", 0755));
  write_file("root/file", "x");
  CHECK_OK(symlink("/", "root/abs"));
  CHECK_OK(symlink("a", "root/rel"));
  CHECK_OK(symlink("..", "root/up"));
  int root = CHECK_OK(open("root", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int a = CHECK_OK(open("root/a", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct_checks(root);
  creat_and_tmpfile(root);

  // RESOLVE_BENEATH: nothing above the starting directory.
  CHECK(same_as(root, "a", RESOLVE_BENEATH, a));
  CHECK(same_as(root, "a/../a", RESOLVE_BENEATH, a));
  CHECK(same_as(root, "rel", RESOLVE_BENEATH, a));
  CHECK_ERR(openat2_(root, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  CHECK_ERR(openat2_(root, "a/../..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  CHECK_ERR(openat2_(root, "/", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  CHECK_ERR(openat2_(root, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  CHECK_ERR(openat2_(root, "up", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  CHECK_ERR(openat2_(a, "file", O_RDONLY, 0, RESOLVE_BENEATH), ENOENT);
  CHECK_ERR(openat2_(open("root/file", O_RDONLY | O_CLOEXEC), "a", O_RDONLY, 0, RESOLVE_BENEATH),
            ENOTDIR);

  // RESOLVE_IN_ROOT: "/" and ".." stop at the starting directory.
  CHECK(same_as(root, "/a", RESOLVE_IN_ROOT, a));
  CHECK(same_as(root, "../../a", RESOLVE_IN_ROOT, a));
  CHECK(same_as(root, "abs/a", RESOLVE_IN_ROOT, a));
  CHECK(same_as(root, "up/up/a", RESOLVE_IN_ROOT, a));
  CHECK(same_as(root, "/", RESOLVE_IN_ROOT, root));

  // RESOLVE_NO_SYMLINKS: no symlink is followed; one not followed is fine.
  CHECK_ERR(openat2_(root, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  CHECK_ERR(openat2_(root, "rel/../file", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  int fd =
      (int)CHECK_OK(openat2_(root, "rel", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS));
  CHECK_OK(close(fd));

  // RESOLVE_NO_MAGICLINKS: /proc/self/fd/N is refused, plain symlinks are not.
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", a);
  CHECK(same_as(AT_FDCWD, path, 0, a));
  CHECK_ERR(openat2_(AT_FDCWD, path, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
  CHECK_ERR(openat2_(AT_FDCWD, path, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  CHECK(same_as(root, "rel", RESOLVE_NO_MAGICLINKS, a));
  // In a scoped walk a magic link is EXDEV.
  int proc = CHECK_OK(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  snprintf(path, sizeof path, "self/fd/%d", a);
  CHECK_ERR(openat2_(proc, path, O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);

  // RESOLVE_NO_XDEV: /proc is another mount, whichever way it is entered.
  int slash = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  CHECK_ERR(openat2_(slash, "proc/self", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
  CHECK_ERR(openat2_(proc, "..", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
  fd = (int)CHECK_OK(openat2_(proc, "self", O_RDONLY | O_CLOEXEC, 0, RESOLVE_NO_XDEV));
  CHECK_OK(close(fd));
  CHECK_OK(close(slash));
  CHECK_OK(close(proc));
  CHECK_OK(close(a));
  CHECK_OK(close(root));
  return 0;
}
