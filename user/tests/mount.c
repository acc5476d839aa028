// mount(2)/umount2(2) errnos, a tmpfs mounted and unmounted for real, a
// ramfs (no size limit, its own magic), /proc/filesystems, and the
// per-mount flags MS_NOSUID, MS_NODEV and MS_NOEXEC.
// Needs CAP_SYS_ADMIN (skipped with a note where the runner lacks it); the
// ext2 checks are skipped where the kernel has no ext2 (mount says ENODEV).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

// Copies this program to `path` with `mode`, owned by `uid`.
static void copy_self(const char* path, mode_t mode, uid_t uid) {
  int in = CHECK_OK(open("/proc/self/exe", O_RDONLY));
  int out = CHECK_OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700));
  char buf[65536];
  ssize_t n;
  while ((n = CHECK_OK(read(in, buf, sizeof buf))) > 0) CHECK_EQ(write(out, buf, (size_t)n), n);
  CHECK_OK(close(in));
  CHECK_OK(close(out));
  CHECK_OK(chown(path, uid, uid));
  CHECK_OK(chmod(path, mode));  // after chown, which clears the set-id bits
}

// Runs `path --euid` and returns the exit status: 0 if it ran as root.
static int run_euid(const char* path) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    execl(path, path, "--euid", (char*)NULL);
    _exit(100 + errno);
  }
  int status = 0;
  CHECK_OK(waitpid(pid, &status, 0));
  CHECK(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// MS_NOSUID, MS_NODEV and MS_NOEXEC: shown in /proc/self/mounts and honoured.
static void per_mount_flags(void) {
  CHECK_OK(mkdir("x", 0755));
  CHECK_OK(mount("none", "x", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
  char mounts[16384];
  int fd = CHECK_OK(open("/proc/self/mounts", O_RDONLY));
  ssize_t n = CHECK_OK(read(fd, mounts, sizeof mounts - 1));
  mounts[n] = 0;
  CHECK_OK(close(fd));
  // (Linux adds tmpfs options after these, such as ",inode64".)
  CHECK(strstr(mounts, " tmpfs rw,nosuid,nodev,noexec,relatime") != NULL);
  // noexec: execve is EACCES, mmap(PROT_EXEC) EPERM, mprotect(PROT_EXEC) EACCES.
  copy_self("x/prog", 0755, 0);
  CHECK_EQ(run_euid("x/prog"), 100 + EACCES);
  fd = CHECK_OK(open("x/prog", O_RDONLY));
  CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED);
  CHECK_EQ(errno, EPERM);
  void* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED);
  CHECK_ERR(mprotect(p, 4096, PROT_READ | PROT_EXEC), EACCES);
  CHECK_OK(munmap(p, 4096));
  CHECK_OK(close(fd));
  // nodev: a device node cannot be opened (it can be made).
  CHECK_OK(mknod("x/null", S_IFCHR | 0666, makedev(1, 3)));
  CHECK_ERR(open("x/null", O_RDONLY), EACCES);
  CHECK_OK(umount2("x", 0));
  // nosuid: a set-user-ID program runs with the caller's ids; the same
  // program on a plain mount runs as its owner.
  CHECK_OK(mount("none", "x", "tmpfs", MS_NOSUID, NULL));
  copy_self("x/prog", 04755, 65534);
  CHECK_EQ(run_euid("x/prog"), 0);
  CHECK_OK(umount2("x", 0));
  CHECK_OK(mount("none", "x", "tmpfs", 0, NULL));
  copy_self("x/prog", 04755, 65534);
  CHECK_EQ(run_euid("x/prog"), 1);
  CHECK_OK(umount2("x", 0));
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--euid") == 0) return geteuid() == 0 ? 0 : 1;
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

  // ramfs: a file system of its own kind, listed in /proc/filesystems.
  CHECK_OK(mount("none", "m", "ramfs", 0, NULL));
  write_file("m/r", "ram");
  struct statfs sf;
  CHECK_OK(statfs("m", &sf));
  CHECK_EQ((unsigned long)sf.f_type, 0x858458f6ul);  // RAMFS_MAGIC
  CHECK_EQ(sf.f_blocks, 0);
  CHECK_OK(stat("m", &st));
  CHECK_EQ(st.st_mode & 07777, 0755);
  CHECK_OK(umount2("m", 0));
  if (EXPECTED_DIVERGENCE("read-only tmpfs and ramfs mounts are not implemented (EINVAL)")) {
    CHECK_ERR(mount("none", "m", "ramfs", MS_RDONLY, NULL), EINVAL);
  } else {
    CHECK_OK(mount("none", "m", "ramfs", MS_RDONLY, NULL));
    CHECK_OK(umount2("m", 0));
  }
  FILE* fsl = fopen("/proc/filesystems", "r");
  CHECK(fsl != NULL);
  char line[128];
  int tmpfs = 0, ramfs = 0, proc = 0;
  while (fgets(line, sizeof line, fsl)) {
    tmpfs |= strcmp(line, "nodev\ttmpfs\n") == 0;
    ramfs |= strcmp(line, "nodev\tramfs\n") == 0;
    proc |= strcmp(line, "nodev\tproc\n") == 0;
  }
  fclose(fsl);
  CHECK(tmpfs && ramfs && proc);

  per_mount_flags();

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
