// mount(2)/umount2(2) errnos, and a tmpfs mounted and unmounted for real.
// Needs CAP_SYS_ADMIN (skipped with a note where the runner lacks it); the
// ext2 checks are skipped where the kernel has no ext2 (mount says ENODEV).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>

#include <sys/mount.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

int main(void) {
  // On the build host, mount only in a private mount namespace of our own,
  // so that nothing the test does (or leaves behind if it fails) reaches
  // the host's mount table.
  if (!on_keel() && getenv("KEEL_TEST_VM") == NULL && geteuid() == 0) {
    if (unshare(CLONE_NEWNS) == 0) {
      CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    } else {
      TEST_SKIP("no private mount namespace on this host (mount(2) needs CAP_SYS_ADMIN)");
      return 0;
    }
  }
  enter_tmpdir();
  CHECK_OK(mkdir("m", 0755));
  write_file("file", "x");
  if (mount("none", "m", "tmpfs", 0, NULL) != 0) {
    if (errno == EPERM) {
      TEST_SKIP("mount(2) needs CAP_SYS_ADMIN, which this runner lacks");
      return 0;
    }
    CHECK_OK(-1);
  }
  // The new file system is empty and writable; unmounting drops it.
  write_file("m/inside", "hello");
  int fd = CHECK_OK(open("m/inside", O_RDONLY));
  CHECK_OK(fsync(fd));
  CHECK_OK(syncfs(fd));
  CHECK_OK(close(fd));
  sync();
  struct stat st;
  CHECK_OK(stat("m/inside", &st));
  CHECK_EQ(st.st_size, 5);
  CHECK_OK(umount2("m", 0));
  CHECK_ERR(stat("m/inside", &st), ENOENT);

  // umount2: not a mount point, missing, unknown flags.
  CHECK_ERR(umount2("m", 0), EINVAL);
  CHECK_ERR(umount2("missing", 0), ENOENT);
  CHECK_ERR(umount2("m", 0x100), EINVAL);
  CHECK_ERR(umount2("m", MNT_EXPIRE | MNT_FORCE), EINVAL);

  // mount: unknown type, missing target, target not a directory.
  CHECK_ERR(mount("none", "m", "nosuchfs_keel", 0, NULL), ENODEV);
  CHECK_ERR(mount("none", "missing", "tmpfs", 0, NULL), ENOENT);
  CHECK_ERR(mount("none", "file", "tmpfs", 0, NULL), ENOTDIR);
  // The type and the source are copied first, whether the type needs a
  // source or not; no type is EINVAL for a new mount (bad_pointer_sweep).
  CHECK_ERR(mount((const char*)8, "m", "tmpfs", 0, NULL), EFAULT);
  CHECK_ERR(mount("none", "m", (const char*)8, 0, NULL), EFAULT);
  CHECK_ERR(mount("none", "m", NULL, 0, NULL), EINVAL);

  // ext2 needs a block device as its source.
  int r = mount("file", "m", "ext2", 0, NULL);
  if (r != 0 && errno == ENODEV) {
    TEST_SKIP("this kernel has no ext2 driver (mount -t ext2 is ENODEV)");
  } else {
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, ENOTBLK);
    CHECK_ERR(mount("missing_dev", "m", "ext2", 0, NULL), ENOENT);
  }

  // Without privilege: EPERM once the target is found, before the type.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(10);
    // Absolute paths: the test's directory may not be searchable now.
    if (mount("none", "/", "tmpfs", 0, NULL) != -1 || errno != EPERM) _exit(11);
    if (mount("none", "/", "nosuchfs_keel", 0, NULL) != -1 || errno != EPERM) _exit(12);
    if (umount2("/", 0) != -1 || errno != EPERM) _exit(13);
    if (mount("none", "/nonexistent_keel", "tmpfs", 0, NULL) != -1 || errno != ENOENT) _exit(14);
    _exit(0);
  }
  int status = 0;
  CHECK_OK(waitpid(pid, &status, 0));
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  return 0;
}
