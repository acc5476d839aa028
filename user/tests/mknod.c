// mknod(2) and mknodat(2): character and block device nodes (CAP_MKNOD, the
// device number kept and reported, opened by number: a number no driver owns
// is ENXIO), FIFOs and regular files for anyone, the umask, and the errors
// (EEXIST, EPERM for directories and without CAP_MKNOD, EINVAL for a bad
// type, ENOENT, ENOTDIR).
#define _GNU_SOURCE
#include <fcntl.h>

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "user/lib/check.h"

static void check_node(const char* path, mode_t type, dev_t dev, mode_t perm) {
  struct stat st;
  CHECK_OK(lstat(path, &st));
  CHECK_EQ(st.st_mode & S_IFMT, type);
  CHECK_EQ(st.st_mode & 07777, perm);
  CHECK_EQ(st.st_rdev, dev);
}

// Drops CAP_MKNOD from every set, staying root otherwise.
static void drop_mknod(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  CHECK_OK(syscall(SYS_capget, &h, d));
  d[0].effective &= ~(1u << CAP_MKNOD);
  d[0].permitted &= ~(1u << CAP_MKNOD);
  CHECK_OK(syscall(SYS_capset, &h, d));
}

int main(void) {
  if (geteuid() != 0) {
    printf("mknod: not root, skipped\n");
    return 0;
  }
  enter_tmpdir();
  umask(022);
  // A character device: /dev/null's number works through the new node.
  CHECK_OK(mknod("null2", S_IFCHR | 0666, makedev(1, 3)));
  check_node("null2", S_IFCHR, makedev(1, 3), 0644);
  int fd = CHECK_OK(open("null2", O_RDWR));
  CHECK_EQ(write(fd, "abc", 3), 3);
  char b[4];
  CHECK_EQ(read(fd, b, sizeof b), 0);
  close(fd);
  // A block device with a number no driver has (240: local/experimental).
  CHECK_OK(mknodat(AT_FDCWD, "blk", S_IFBLK | 0600, makedev(240, 7)));
  check_node("blk", S_IFBLK, makedev(240, 7), 0600);
  CHECK_ERR(open("blk", O_RDONLY), ENXIO);
  // So is a character device nobody drives.
  CHECK_OK(mknod("chr", S_IFCHR | 0600, makedev(240, 9)));
  CHECK_ERR(open("chr", O_RDONLY), ENXIO);
  // FIFOs and regular files (type 0 is a regular file); their number is 0.
  CHECK_OK(mknod("fifo", S_IFIFO | 0640, makedev(1, 3)));
  check_node("fifo", S_IFIFO, 0, 0640);
  CHECK_OK(mknod("reg", 0644, 0));
  check_node("reg", S_IFREG, 0, 0644);
  // Errors.
  CHECK_ERR(mknod("null2", S_IFCHR | 0600, makedev(1, 3)), EEXIST);
  CHECK_ERR(mknod("dir", S_IFDIR | 0755, 0), EPERM);
  CHECK_ERR(mknod("bad", 0170000 | 0644, 0), EINVAL);
  CHECK_ERR(mknod("nodir/x", S_IFIFO | 0600, 0), ENOENT);
  CHECK_ERR(mknod("reg/x", S_IFIFO | 0600, 0), ENOTDIR);
  // Without CAP_MKNOD: no device nodes, FIFOs still.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    drop_mknod();
    CHECK_ERR(mknod("c2", S_IFCHR | 0600, makedev(1, 3)), EPERM);
    CHECK_ERR(mknod("b2", S_IFBLK | 0600, makedev(240, 0)), EPERM);
    CHECK_OK(mknod("f2", S_IFIFO | 0600, 0));
    _exit(0);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  const char* made[] = {"null2", "blk", "chr", "fifo", "reg", "f2"};
  for (size_t i = 0; i < sizeof made / sizeof made[0]; ++i) CHECK_OK(unlink(made[i]));
  printf("mknod: ok\n");
  return 0;
}
